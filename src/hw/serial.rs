//! One open serial port: a reader thread turns blocking reads into messages
//! for the device's task, which alone writes. When the port goes away (USB
//! unplugged, pty closed) the reader says so once and ends.

use serialport::{FlowControl, SerialPort, TTYPort};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the reader thread looks at its stop flag while the line is quiet.
const READ_TICK: Duration = Duration::from_millis(100);
/// A write that cannot finish in this time means the device stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub enum Input {
    Bytes(Vec<u8>),
    Closed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: serialport::Error,
    },
    #[error("cannot write to the device: {0}")]
    Write(std::io::Error),
    #[error("cannot start the reader: {0}")]
    Thread(std::io::Error),
}

pub struct SerialLink {
    writer: TTYPort,
    input: mpsc::UnboundedReceiver<Input>,
    stop: Arc<AtomicBool>,
}

impl SerialLink {
    pub fn open(path: &Path, baud: u32, hardware_flow: bool) -> Result<SerialLink, SerialError> {
        let open_error = |source| SerialError::Open {
            path: path.to_owned(),
            source,
        };
        let flow = if hardware_flow {
            FlowControl::Hardware
        } else {
            FlowControl::None
        };
        let writer = serialport::new(path.to_string_lossy(), baud)
            .flow_control(flow)
            .timeout(WRITE_TIMEOUT)
            .open_native()
            .map_err(open_error)?;
        let mut reader = writer.try_clone_native().map_err(open_error)?;
        reader.set_timeout(READ_TICK).map_err(open_error)?;
        let (tx, input) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_reader = stop.clone();
        let name = format!("serial {}", path.display());
        std::thread::Builder::new()
            .name(name)
            .spawn(move || read_until_closed(&mut reader, &tx, &stop_reader))
            .map_err(SerialError::Thread)?;
        Ok(SerialLink {
            writer,
            input,
            stop,
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), SerialError> {
        self.writer.write_all(bytes).map_err(SerialError::Write)
    }

    /// The next bytes read, or `Closed` once; `None` after that.
    pub async fn recv(&mut self) -> Option<Input> {
        self.input.recv().await
    }
}

impl Drop for SerialLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_until_closed(port: &mut TTYPort, tx: &mpsc::UnboundedSender<Input>, stop: &AtomicBool) {
    let mut buf = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        match port.read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(Input::Closed("the device closed the line".to_owned()));
                return;
            }
            Ok(n) => {
                if tx
                    .send(Input::Bytes(buf.get(..n).unwrap_or_default().to_vec()))
                    .is_err()
                {
                    return;
                }
            }
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Input::Closed(e.to_string()));
                return;
            }
        }
    }
}
