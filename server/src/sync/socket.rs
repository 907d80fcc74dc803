//! The socket as sync sees it: WebSocket messages in sync's own type, so that the HTTP
//! layer hands in its upgraded connection as a stream and sink of [`Frame`]s and sync
//! depends on no web framework.

use bytes::Bytes;

use super::Close;

/// One WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Binary(Bytes),
    /// Text frames are not part of the y-websocket protocol; their content is not kept.
    Text,
    Ping(Bytes),
    Pong(Bytes),
    /// A close frame, with its code and reason when it has them.
    Close(Option<Close>),
}

/// Why reading from a socket failed.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// The transport refused a frame over its size limit.
    #[error("frame over the transport's size limit")]
    TooLarge,
    #[error("{0}")]
    Other(String),
}
