//! Password hashing (argon2id) on a fixed set of hashing threads, each reusing one argon2
//! working memory, so that a burst of logins costs bounded memory and a bounded wait.
//!
//! argon2id with the default parameters fills 19 MiB per hash. Hashed on the blocking pool
//! with memory allocated per hash, as the argon2 crate does by default, 400 concurrent logins
//! grew a node from 381 MB to 7.7 GB, and the memory stayed (issue 18, finding 4). Bounding
//! how many run at once is not enough on its own: each freed 19 MiB block is soon carved up by
//! small allocations, so the next hash takes fresh memory, and resident memory grew by about
//! 5 MB per login even two at a time. Here N threads own one working memory each and fill it
//! again for every hash: argon2 uses N × 19 MiB, whatever the load. Callers beyond N wait in
//! line for a while, then get `Busy` (429 with Retry-After).

use std::panic::AssertUnwindSafe;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use tokio::sync::{oneshot, Semaphore};

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every hashing thread stayed busy for the whole wait.
    #[error("the server is checking too many passwords at once; try again in a moment")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// The most argon2 memory a stored hash may ask for (64 MiB; ours take 19 MiB). A stored
/// hash asking for more does not verify, rather than take that much memory per thread.
const MAX_BLOCKS: usize = 64 * 1024;

/// Argon2 working memory, kept by one hashing thread from hash to hash.
struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0.resize(count, Block::default());
        }
        &mut self.0[..count]
    }
}

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// The hashing threads of a node. Cloning shares them; they end when the last clone drops.
#[derive(Clone)]
pub struct Passwords {
    /// One per thread, so a caller holding a slot always finds a free thread.
    slots: Arc<Semaphore>,
    wait: Duration,
    jobs: mpsc::Sender<Job>,
}

impl Passwords {
    /// Starts `threads` hashing threads; a caller waits at most `wait` for one.
    pub fn new(threads: usize, wait: Duration) -> std::io::Result<Passwords> {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("folio-password-{i}"))
                .spawn(move || {
                    let mut memory = Memory(Vec::new());
                    loop {
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        // Every `Passwords` is gone: the node stopped.
                        let Ok(job) = next else { return };
                        // A panic in one hash fails that request only; its reply is dropped.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
                    }
                })?;
        }
        Ok(Passwords {
            slots: Arc::new(Semaphore::new(threads)),
            wait,
            jobs,
        })
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move |memory| hash_with(memory, password.as_bytes()))
            .await?
            .map_err(|e| PasswordError::Failed(e.to_string()))
    }

    /// Checks a password against a stored hash. With no stored hash (an unknown email) it
    /// checks against a dummy one, so both cost the same time, memory and wait.
    pub async fn verify(
        &self,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, PasswordError> {
        self.run(move |memory| match phc {
            Some(phc) => verify_with(memory, password.as_bytes(), &phc),
            None => {
                let dummy = dummy_hash(memory);
                verify_with(memory, password.as_bytes(), dummy);
                false
            }
        })
        .await
    }

    /// Runs `f` on a hashing thread once one is free, waiting at most `wait` for it. The slot
    /// goes with the job, so it stays taken until the hash is done even if the request is
    /// dropped meanwhile.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let slot = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(_closed)) => {
                return Err(PasswordError::Failed("the hashing slots are closed".into()))
            }
            Err(_elapsed) => {
                metrics::counter!("folio_limit_refusals_total", "limit" => "password_hashes")
                    .increment(1);
                return Err(PasswordError::Busy);
            }
        };
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let out = f(memory);
            drop(slot);
            let _ = reply.send(out);
        });
        self.jobs
            .send(job)
            .map_err(|_| PasswordError::Failed("the hashing threads stopped".into()))?;
        answer
            .await
            .map_err(|_| PasswordError::Failed("a password hash panicked".into()))
    }
}

/// Hashes with argon2id, the crate's default parameters and a random salt, into a PHC string
/// that the argon2 crate's own verifier accepts too.
fn hash_with(memory: &mut Memory, password: &[u8]) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    let argon = Argon2::default();
    let params = argon.params();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let mut raw = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut raw)?;
    argon.hash_password_into_with_memory(
        password,
        raw_salt,
        &mut out,
        memory.blocks(params.block_count()),
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches a PHC string, computed with the parameters the string names.
fn verify_with(memory: &mut Memory, password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    match verify_parsed(memory, password, &parsed) {
        Ok(matches) => matches,
        Err(e) => {
            tracing::warn!(error = %e, "a stored password hash could not be checked");
            false
        }
    }
}

fn verify_parsed(
    memory: &mut Memory,
    password: &[u8],
    parsed: &PasswordHash,
) -> Result<bool, argon2::password_hash::Error> {
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(parsed)?;
    if params.block_count() > MAX_BLOCKS {
        return Err(argon2::password_hash::Error::ParamValueInvalid(
            argon2::password_hash::errors::InvalidValue::TooLong,
        ));
    }
    let mut raw = [0u8; 64];
    let salt = salt.decode_b64(&mut raw)?;
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    let blocks = params.block_count();
    Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password,
        salt,
        out,
        memory.blocks(blocks),
    )?;
    // `Output` compares in constant time.
    Ok(Output::new(out)? == expected)
}

/// A real hash of a password nobody has, with the same parameters as every stored one.
fn dummy_hash(memory: &mut Memory) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_with(memory, b"not a real password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        let mut memory = Memory(Vec::new());
        let ours = hash_with(&mut memory, b"correct horse").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(Argon2::default()
            .verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap())
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"wrong horse", &PasswordHash::new(&ours).unwrap())
            .is_err());

        // Hashes stored before this module (made by the crate itself) still verify.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with(&mut memory, b"correct horse", &theirs));
        assert!(!verify_with(&mut memory, b"wrong horse", &theirs));
        assert!(!verify_with(
            &mut memory,
            b"correct horse",
            "not a phc string"
        ));
        assert!(!verify_with(&mut memory, b"correct horse", "$argon2id$v=19$m=4194304,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        // One working memory served every hash.
        assert_eq!(memory.0.len(), Params::default().block_count());
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let mut memory = Memory(Vec::new());
        let real = hash_with(&mut memory, b"x").unwrap();
        let dummy = dummy_hash(&mut memory);
        let (real, dummy) = (
            PasswordHash::new(&real).unwrap(),
            PasswordHash::new(dummy).unwrap(),
        );
        assert_eq!(real.algorithm, dummy.algorithm);
        assert_eq!(real.version, dummy.version);
        assert_eq!(real.params, dummy.params);
    }

    #[tokio::test]
    async fn hashing_beyond_the_threads_waits_then_is_refused() {
        let pw = Passwords::new(1, Duration::from_millis(50)).unwrap();
        // Hold the only slot, as a long hash would.
        let held = pw.slots.clone().acquire_owned().await.unwrap();
        assert!(matches!(
            pw.verify("secret".into(), None).await,
            Err(PasswordError::Busy)
        ));
        drop(held);
        let phc = pw.hash("correct horse".into()).await.unwrap();
        assert!(pw
            .verify("correct horse".into(), Some(phc.clone()))
            .await
            .unwrap());
        assert!(!pw.verify("wrong horse".into(), Some(phc)).await.unwrap());
        assert!(!pw.verify("anything".into(), None).await.unwrap());
        assert_eq!(pw.slots.available_permits(), 1, "every slot is given back");
    }
}
