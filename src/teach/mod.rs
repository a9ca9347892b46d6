//! The web teacher: a person answers a feedback signal's questions at a page in the browser.
//!
//! [`WebTeacher`] is a [`Teacher`]: `post` puts the question on a [`board::Board`] that a small
//! HTTP server ([`server`], tokio + axum) shows, and the labels given there come back through
//! `poll`. One [`TeachingPage`] (one server, one URL) serves every feedback signal of a run: each
//! signal's teacher has its own desk on the board, and the page shows the oldest question of any. The server runs on its own thread with its own runtime, so the training loop stays
//! synchronous and never waits for it. It listens on 127.0.0.1 unless a non-loopback address
//! is asked for explicitly, and answers only requests carrying the random token of the URL it
//! prints. The page (HTML, JS, CSS) is compiled into the binary: it needs no internet.
//!
//! [`client`] is a minimal blocking HTTP/1.1 client for the tests, the load bench and the
//! browser test's WebDriver session.

pub mod board;
pub mod client;
pub mod server;

use anyhow::{bail, Context, Result};
use board::{Board, DeskId};
use limbic_agents::AgentError;
use limbic_environments::render::{Frame, ObservationPainter};
use limbic_rewards::feedback::{Clip, Label, Question, Teacher};
use server::Shared;
use std::fs::OpenOptions;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// The kind `--teacher` names.
pub const KIND: &str = "web";

/// How the web teacher serves its page.
#[derive(Clone)]
pub struct ServeOptions {
    /// Where to listen (port 0 picks a free port).
    pub addr: SocketAddr,
    /// Allows a non-loopback `addr` (anyone who can reach it and has the token may label).
    pub allow_remote: bool,
    /// The run whose learning curve the page draws.
    pub run_dir: Option<PathBuf>,
    /// Frames per second the page plays clips at.
    pub fps: u32,
    /// A JSON-lines file every accepted label is appended to before it is acknowledged.
    pub journal: Option<PathBuf>,
    /// Draws the frames of clips that come without them (training's clips hold observations
    /// only), when the page first shows them.
    pub painter: Option<ObservationPainter>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_remote: false,
            run_dir: None,
            fps: 15,
            journal: None,
            painter: None,
        }
    }
}

/// A page serving while its web teachers ask (see the module docs); the server stops when the
/// page and every teacher at it are dropped.
#[derive(Clone)]
pub struct TeachingPage(Arc<Server>);

/// The running server.
struct Server {
    shared: Arc<Shared>,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TeachingPage {
    /// Binds the address and starts the server; the page is at [`TeachingPage::url`].
    pub fn start(options: &ServeOptions) -> Result<TeachingPage> {
        if !options.addr.ip().is_loopback() && !options.allow_remote {
            bail!(
                "{} is not a loopback address: anyone who can reach it could label; \
                 pass --allow-remote to serve it anyway",
                options.addr
            );
        }
        if options.fps == 0 {
            bail!("fps must be at least 1");
        }
        let journal = match &options.journal {
            Some(path) => Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("opening the label journal {}", path.display()))?,
            ),
            None => None,
        };
        let listener = TcpListener::bind(options.addr).with_context(|| format!("listening on {}", options.addr))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let token = random_token()?;
        let board = Board::new(journal, options.painter.clone());
        let shared = Arc::new(Shared::new(board, token.clone(), options.run_dir.clone(), options.fps));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = server::router(shared.clone());
        let thread = std::thread::Builder::new().name("limbic-teach".into()).spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return tracing::error!("teaching server: {e}"),
                };
                let shutdown = async {
                    let _ = stopped.await;
                };
                if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                    tracing::error!("teaching server stopped: {e}");
                }
            })
        })?;
        let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
        let url = format!("http://{host}:{}/?token={token}", addr.port());
        Ok(TeachingPage(Arc::new(Server { shared, url, stop: Some(stop), thread: Some(thread) })))
    }

    /// The page's address with its access token: print it as the first line of output.
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The teacher of signal `signal` at this page (a name taken is an error).
    pub fn teacher(&self, signal: &str) -> Result<WebTeacher> {
        let (labels_tx, labels) = channel();
        let desk = self.0.shared.board().add_desk(signal, labels_tx).map_err(anyhow::Error::msg)?;
        Ok(WebTeacher { page: self.clone(), desk, labels })
    }
}

impl std::fmt::Debug for TeachingPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TeachingPage({})", self.0.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A teacher answering at a web page (see the module docs): one signal's desk at a
/// [`TeachingPage`].
pub struct WebTeacher {
    page: TeachingPage,
    desk: DeskId,
    labels: Receiver<Label>,
}

impl WebTeacher {
    /// A page of its own for signal `signal`.
    pub fn start(options: &ServeOptions, signal: &str) -> Result<WebTeacher> {
        TeachingPage::start(options)?.teacher(signal)
    }

    /// The page's address with its access token.
    pub fn url(&self) -> &str {
        self.page.url()
    }

    /// The page it asks at.
    pub fn page(&self) -> &TeachingPage {
        &self.page
    }

    /// Labels accepted for this teacher's signal so far.
    pub fn labels_given(&self) -> u64 {
        self.page.0.shared.board().labels_given_at(self.desk)
    }

    fn running(&self) -> limbic_agents::Result<()> {
        match &self.page.0.thread {
            Some(t) if !t.is_finished() => Ok(()),
            _ => Err(AgentError::Io("the teaching server stopped".into())),
        }
    }
}

impl Teacher for WebTeacher {
    fn kind(&self) -> &str {
        KIND
    }

    fn wants_frames(&self) -> bool {
        true
    }

    fn post(&mut self, question: Question) -> limbic_agents::Result<()> {
        self.running()?;
        self.page.0.shared.board().post(self.desk, question).map_err(AgentError::Unsupported)
    }

    fn poll(&mut self) -> limbic_agents::Result<Vec<Label>> {
        Ok(self.labels.try_iter().collect())
    }

    fn pending(&self) -> usize {
        self.page.0.shared.board().pending_at(self.desk)
    }
}

/// A clip's frames: its own, or drawn from its observation rows (and the actions taken there).
pub fn clip_frames(clip: &Clip, painter: Option<&ObservationPainter>) -> Result<Vec<Frame>> {
    if let Some(frames) = &clip.frames {
        return Ok(frames.clone());
    }
    let Some(paint) = painter else { bail!("clip {} has no frames", clip.id) };
    if clip.len == 0 || !clip.obs.len().is_multiple_of(clip.len) || !clip.actions.len().is_multiple_of(clip.len) {
        bail!(
            "clip {}: {} observation and {} action numbers do not split into {} steps",
            clip.id,
            clip.obs.len(),
            clip.actions.len(),
            clip.len
        );
    }
    let rows = clip.obs.chunks(clip.obs.len() / clip.len);
    let actions = clip.actions.chunks(clip.actions.len() / clip.len);
    rows.zip(actions).map(|(obs, action)| Ok(paint(obs, action)?)).collect()
}

/// 128 bits from the OS, in hex.
fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom for the access token")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
