// The page an invite link opens (SPEC §12): the book's title and role, and accept, after
// signing up or logging in when needed.

import { useEffect, useState } from 'react';

import { Api } from '../api/client';
import { AuthForm } from './AuthScreen';
import { navigate } from './router';
import { messageOf, useAuth } from './session';

export function InviteScreen({ token }: { token: string }) {
  const { auth } = useAuth();
  const [invite, setInvite] = useState<{ project_title: string; role: string; inviter: unknown } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    Api.inspectInvite(token).then(setInvite, (e) => setError(messageOf(e)));
  }, [token]);
  const accept = async () => {
    setBusy(true);
    try {
      const { project } = await Api.acceptInvite(token);
      navigate(`/projects/${project.id}`);
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  const inviter = invite?.inviter;
  const inviterName = typeof inviter === 'string' ? inviter : inviter && typeof inviter === 'object' && 'name' in inviter ? String((inviter as { name: unknown }).name) : null;
  return (
    <main className="centered">
      <h1 className="brand">Folio</h1>
      {error && <p className="error" role="alert">{error}</p>}
      {invite && (
        <section className="card invite" aria-label="Invitation">
          <h2>You are invited to “{invite.project_title}”</h2>
          <p>
            {inviterName ? `${inviterName} invited you` : 'You were invited'} to join as <strong>{invite.role}</strong>.
          </p>
          {auth ? (
            <button className="primary" onClick={accept} disabled={busy}>
              Accept invitation
            </button>
          ) : (
            <>
              <p className="muted">Sign up or log in to accept.</p>
              <AuthForm mode="signup" after={() => undefined} />
            </>
          )}
        </section>
      )}
    </main>
  );
}
