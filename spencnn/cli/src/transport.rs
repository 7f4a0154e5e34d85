//! How `spencnn infer` moves the messages between its client and its server: as bytes only,
//! optionally copied to files (`--save-messages DIR`) so a user can see what crosses the wire.
//!
//! The evaluation keys go through an OS pipe: the client generates and writes one key at a
//! time on its own thread while the server reads and loads them, so the keys are never held
//! twice (ResNet-20's are gigabytes).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use spencnn::inference::wire::WireError;
use spencnn::inference::{Client, InferError, KeyGenProgress, Server};

/// Bytes of each message (the image and logits of the last image classified).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(crate) struct MessageSizes {
    pub interface: u64,
    pub keys: u64,
    pub image: u64,
    pub logits: u64,
}

/// Errors moving messages.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    #[error(transparent)]
    Infer(#[from] InferError),
    #[error("cannot write {}", path.display())]
    Save { path: PathBuf, source: std::io::Error },
    #[error("cannot open a pipe between client and server: {0}")]
    Pipe(std::io::Error),
}

/// Where messages are copied to, if anywhere.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    save_dir: Option<PathBuf>,
}

/// Writes to two sinks.
struct Tee<A, B>(A, B);

/// A file copy of a stream, or nothing.
struct MaybeFile(Option<BufWriter<File>>);

impl Write for MaybeFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Some(file) => file.write(buf),
            None => Ok(buf.len()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl<A: Write, B: Write> Write for Tee<A, B> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(buf)?;
        self.1.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

impl Transport {
    /// Copies every message into `save_dir` (created if missing) when given.
    pub(crate) fn new(save_dir: Option<&Path>) -> Result<Self, TransportError> {
        if let Some(dir) = save_dir {
            std::fs::create_dir_all(dir).map_err(|source| TransportError::Save { path: dir.to_path_buf(), source })?;
        }
        Ok(Self { save_dir: save_dir.map(Path::to_path_buf) })
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        self.save_dir.as_ref().map(|dir| dir.join(name))
    }

    /// Delivers `bytes` (saved as `name` when saving); returns them for the receiver.
    pub(crate) fn send<'b>(&self, name: &str, bytes: &'b [u8]) -> Result<&'b [u8], TransportError> {
        if let Some(path) = self.path(name) {
            std::fs::write(&path, bytes).map_err(|source| TransportError::Save { path, source })?;
        }
        Ok(bytes)
    }

    /// The client writes its evaluation keys into a pipe while the server reads them from the
    /// other end on its own thread. The client runs on the calling thread, so that its key
    /// generation uses the caller's rayon pool; `on_progress` is called after each Galois key.
    /// Returns the message length.
    pub(crate) fn send_keys(
        &self,
        client: &mut Client,
        server: &mut Server,
        on_progress: impl FnMut(KeyGenProgress),
    ) -> Result<u64, TransportError> {
        let (reader, writer) = std::io::pipe().map_err(TransportError::Pipe)?;
        let file = match self.path("keys.bin") {
            Some(path) => Some(File::create(&path).map_err(|source| TransportError::Save { path, source })?),
            None => None,
        };
        let (written, read) = std::thread::scope(|scope| {
            let server_side = scope.spawn(move || server.receive_keys(BufReader::new(reader)));
            let sink = Tee(BufWriter::new(writer), MaybeFile(file.map(BufWriter::new)));
            // Dropping the sink closes the pipe: a server waiting for more bytes sees the end.
            let written = client.write_evaluation_keys_with_progress(sink, on_progress).map(|(_, written)| written);
            (written, server_side.join())
        });
        let read = read.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match (written, read) {
            (Ok(written), Ok(_)) => Ok(written),
            // The pipe closed early because the client failed: the client's error says why.
            (Err(client), Err(InferError::Wire(WireError::UnexpectedEnd { .. }))) => Err(client.into()),
            // Otherwise the server's (the client then only saw the pipe close).
            (_, Err(server)) => Err(server.into()),
            (Err(client), Ok(_)) => Err(client.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use spencnn::inference::{EncodingPolicy, ParamOptions, plan_for_ckks};
    use spencnn::model::zoo::{Network, Variant};

    use super::*;

    /// LeNet's schedule at `N = 2^12` with scales of at least `min_log_scale` bits inside 400
    /// bits (insecure, tests only) and a server for it.
    fn server_of(min_log_scale: u32) -> Server {
        let mut model = Network::LeNet.build(Variant::SpEncnn);
        spencnn::model::randomize(&mut model, 1);
        let options = ParamOptions {
            min_log_scale,
            target_precision_bits: None,
            budget_bits: Some(400),
            insecure: true,
            threads: 1,
        };
        let (schedule, _, params) = plan_for_ckks(&model, 12, &options).unwrap();
        Server::new(schedule, params, EncodingPolicy::OnDemand).unwrap()
    }

    fn server() -> Server {
        server_of(30)
    }

    #[test]
    fn keys_cross_the_pipe_and_are_saved_as_sent() {
        let dir = std::env::temp_dir().join(format!("spencnn-transport-{}", std::process::id()));
        let transport = Transport::new(Some(&dir)).unwrap();
        let mut server = server();
        let mut client = Client::from_seed(server.interface().clone(), [5; 32]).unwrap();
        let sent = transport.send_keys(&mut client, &mut server, |_| {}).unwrap();
        let saved = std::fs::read(dir.join("keys.bin")).unwrap();
        assert_eq!(saved.len() as u64, sent);
        let mut same_seed = Client::from_seed(server.interface().clone(), [5; 32]).unwrap();
        let (in_memory, _) = same_seed.write_evaluation_keys(Vec::new()).unwrap();
        assert_eq!(saved, in_memory);
        assert!(server.key_bytes() > 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_for_another_interface_give_the_servers_error_and_no_hang() {
        // The client accepted an interface with other scales than the server's.
        // The server refuses the stream at its header (other parameters) and closes the pipe; the client, still
        // writing, sees the pipe close; the server's reason is the one reported.
        let mut server = server();
        let other = server_of(40);
        assert_ne!(other.interface().digest().unwrap(), server.interface().digest().unwrap());
        let mut client = Client::from_seed(other.interface().clone(), [5; 32]).unwrap();
        match Transport::new(None).unwrap().send_keys(&mut client, &mut server, |_| {}) {
            Err(TransportError::Infer(e)) => assert!(e.to_string().contains("parameters"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(server.key_bytes(), 0);
    }
}
