// Sign up and log in (SPEC §13). `after` runs once logged in (the invite page accepts then).

import { useState, type FormEvent } from 'react';

import { Api } from '../api/client';
import { navigate } from './router';
import { messageOf, useAuth } from './session';

export function AuthForm({ mode: initial, after }: { mode: 'login' | 'signup'; after?: () => void }) {
  const { setAuth } = useAuth();
  const [mode, setMode] = useState(initial);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const auth = mode === 'signup' ? await Api.signup(email, name, password) : await Api.login(email, password);
      setAuth(auth);
      if (after) after();
      else navigate('/');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="auth-form card" onSubmit={submit} aria-label={mode === 'signup' ? 'Sign up' : 'Log in'}>
      <h2>{mode === 'signup' ? 'Create your account' : 'Log in'}</h2>
      {mode === 'signup' && (
        <label>
          Name
          <input name="name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
      )}
      <label>
        Email
        <input name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          required
          minLength={mode === 'signup' ? 8 : undefined}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {mode === 'signup' ? 'Sign up' : 'Log in'}
      </button>
      <p className="muted">
        {mode === 'signup' ? 'Already have an account?' : 'New to Folio?'}{' '}
        <button type="button" className="link" onClick={() => setMode(mode === 'signup' ? 'login' : 'signup')}>
          {mode === 'signup' ? 'Log in' : 'Sign up'}
        </button>
      </p>
    </form>
  );
}

export function AuthScreen({ mode }: { mode: 'login' | 'signup' }) {
  return (
    <main className="centered">
      <h1 className="brand">Folio</h1>
      <p className="muted">Make photo books together, live.</p>
      <AuthForm mode={mode} />
    </main>
  );
}
