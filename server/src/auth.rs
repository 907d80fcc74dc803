//! Opaque bearer tokens, stored only as hashes, and user colours. Password hashing lives in
//! `passwords`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh bearer token: 256 random bits, URL-safe. Only its hash is stored.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token. The token already has 256 bits of entropy, so a fast
/// hash is enough: nothing is gained by stretching it, and it is checked on every request.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A stable colour for a user's cursor, derived from their id.
pub fn user_color(id: &uuid::Uuid) -> &'static str {
    const PALETTE: [&str; 12] = [
        "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46a0a0", "#f032e6", "#9a6324",
        "#800000", "#808000", "#000075", "#469990",
    ];
    let b = id.as_bytes();
    PALETTE[(b[0] as usize ^ b[15] as usize) % PALETTE.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
