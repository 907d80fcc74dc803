// The whole app: account screens, the project list, invite landing and the editor.

import { useEffect, useMemo, useState } from 'react';

import { loadAuth, saveAuth, UNAUTHORIZED_EVENT, type Auth } from '../api/client';
import { AuthScreen } from './AuthScreen';
import { EditorScreen } from './editor/EditorScreen';
import { InviteScreen } from './InviteScreen';
import { NewProjectScreen, ProjectsScreen } from './ProjectsScreen';
import { parseRoute, usePath } from './router';
import { AuthContext } from './session';

export function App() {
  const [auth, setAuthState] = useState<Auth | null>(() => loadAuth());
  const path = usePath();
  useEffect(() => {
    const expired = () => {
      saveAuth(null);
      setAuthState(null);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, expired);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, expired);
  }, []);
  const route = parseRoute(path);
  const ctx = useMemo(
    () => ({
      auth,
      setAuth: (a: Auth | null) => {
        saveAuth(a);
        setAuthState(a);
      },
    }),
    [auth],
  );

  let screen;
  if (route.name === 'invite') screen = <InviteScreen token={route.token} />;
  else if (!auth) screen = <AuthScreen mode={route.name === 'signup' ? 'signup' : 'login'} />;
  else if (route.name === 'editor') screen = <EditorScreen key={route.id} projectId={route.id} />;
  else if (route.name === 'new') screen = <NewProjectScreen />;
  else screen = <ProjectsScreen />;
  return <AuthContext.Provider value={ctx}>{screen}</AuthContext.Provider>;
}
