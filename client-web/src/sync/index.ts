// The only module that touches yjs, y-websocket and y-protocols (STYLE habit 10); the UI
// talks to books through BookSession and BookDoc.

export { atLeast, BookDoc, diffText, LOCAL_ORIGIN, type Role, type TextSplice } from './book';
export { colorFor, peersOf, type Cursor, type Peer, type PresenceUser, type Selection } from './presence';
export { BookSession, type SessionOptions, type SessionSnapshot } from './session';
export { describeClose, INITIAL_CONNECTION, nextConnection, type ConnectionState, type ConnectionStatus } from './status';
export { bindTextArea, transformPosition } from './text';
