// People: who is here now, the members and their roles (managers change them), and invite
// links to create and copy.

import { useEffect, useState } from 'react';

import { Api, type Member } from '../../api/client';
import { atLeast, type Role } from '../../sync';
import { messageOf } from '../session';
import { useEditor, usePeers } from './context';

const ROLES: Role[] = ['viewer', 'commenter', 'contributor', 'editor', 'manager'];

export function PeoplePanel() {
  const { project, session, role, me, events, notify } = useEditor();
  const peers = usePeers(session);
  const [members, setMembers] = useState<Member[]>([]);
  const [inviteRole, setInviteRole] = useState<Role>('editor');
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const manager = atLeast(role, 'manager');
  useEffect(() => {
    const load = () => Api.members(project.id).then(setMembers, (e) => notify(messageOf(e)));
    void load();
    return events.on((e) => e.kind === 'member' && void load());
  }, [project.id, events, notify]);

  const change = async (userId: string, r: Role) => {
    try {
      await Api.setRole(project.id, userId, r);
      setMembers(await Api.members(project.id));
    } catch (e) {
      notify(messageOf(e));
    }
  };
  const remove = async (userId: string) => {
    try {
      await Api.removeMember(project.id, userId);
      setMembers(await Api.members(project.id));
    } catch (e) {
      notify(messageOf(e));
    }
  };
  const invite = async () => {
    try {
      const { url } = await Api.createInvite(project.id, inviteRole);
      setLink(new URL(url, location.origin).toString());
      setCopied(false);
    } catch (e) {
      notify(messageOf(e));
    }
  };
  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      const field = document.getElementById('invite-link') as HTMLInputElement | null;
      field?.select();
      setCopied(document.execCommand?.('copy') ?? false);
    }
  };

  return (
    <div className="people">
      <h3>Here now</h3>
      <ul className="here" data-testid="here">
        <li>
          <span className="dot" style={{ background: '#475569' }} /> {me.name} (you)
        </li>
        {peers.map((p) => (
          <li key={p.clientId}>
            <span className="dot" style={{ background: p.user.color }} /> {p.user.name}
          </li>
        ))}
      </ul>
      <h3>Members</h3>
      <ul className="members" data-testid="members">
        {members.map((m) => {
          const owner = m.user.id === project.owner_id;
          return (
            <li key={m.user.id} data-testid="member" data-user={m.user.name}>
              <span>{m.user.name}</span>
              {manager && !owner && m.user.id !== me.id ? (
                <>
                  <select aria-label={`Role of ${m.user.name}`} value={m.role} onChange={(e) => change(m.user.id, e.target.value as Role)}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                  <button className="small danger" onClick={() => remove(m.user.id)} aria-label={`Remove ${m.user.name}`}>
                    ✕
                  </button>
                </>
              ) : (
                <span className="muted">{owner ? 'owner' : m.role}</span>
              )}
            </li>
          );
        })}
      </ul>
      {manager ? (
        <section aria-label="Invite">
          <h3>Invite</h3>
          <div className="row tight">
            <select aria-label="Role for the invite" value={inviteRole} onChange={(e) => setInviteRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
            <button onClick={invite}>Create invite link</button>
          </div>
          {link && (
            <div className="row tight">
              <input id="invite-link" readOnly value={link} aria-label="Invite link" data-testid="invite-link" onFocus={(e) => e.target.select()} />
              <button onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
            </div>
          )}
        </section>
      ) : (
        <p className="muted small">Managers invite people and change roles.</p>
      )}
    </div>
  );
}
