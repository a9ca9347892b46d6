//! The HTTP side of the web teacher: the page, the open question, clip pictures, the learning
//! curve, and answers. Clip pictures and answers name the signal that asks (`signal`, as the
//! open question shows it; without it, the page's first signal). Every route but the page's static code needs the access token (a `token`
//! query parameter or an `x-limbic-token` header); bad requests get a 4xx with a JSON
//! `{"error": ...}` that says what was wrong.

use super::board::{Board, DeskId, Refusal};
use crate::plot::series;
use crate::run_dir::RunDir;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use limbic_environments::render::{encode_png, Frame};
use limbic_rewards::feedback::{Answer, ClipId, QueryId};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// The largest request body taken (a label is under 200 bytes).
pub const MAX_BODY_BYTES: usize = 4096;

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// An encoded picture sheet.
type Sheet = Arc<Vec<u8>>;

/// What the handlers share.
pub struct Shared {
    pub board: Mutex<Board>,
    pub token: String,
    /// The run whose `metrics.jsonl` draws the live learning curve, if any.
    pub run_dir: Option<PathBuf>,
    /// Frames per second the page plays clips at.
    pub fps: u32,
    /// Encoded picture sheets of open clips.
    sheets: Mutex<HashMap<(DeskId, ClipId), Sheet>>,
}

impl Shared {
    pub fn new(board: Board, token: String, run_dir: Option<PathBuf>, fps: u32) -> Shared {
        Shared { board: Mutex::new(board), token, run_dir, fps, sheets: Mutex::new(HashMap::new()) }
    }

    pub fn board(&self) -> MutexGuard<'_, Board> {
        // A handler never panics while holding the lock; recover the data if one ever did.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/", get(page))
        .route("/api/state", get(state))
        .route("/api/clip/{id}", get(clip_sheet))
        .route("/api/curve", get(curve))
        .route("/api/label", post(label))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), require_token));
    Router::new()
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/app.css", get(|| async { asset("text/css; charset=utf-8", STYLE) }))
        .merge(api)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": message.to_string() }))).into_response()
}

async fn require_token(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let from_query = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("token=")).map(str::to_owned));
    let from_header = request.headers().get("x-limbic-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match from_query.or(from_header) {
        Some(given) if same_secret(&given, &shared.token) => next.run(request).await,
        Some(_) => error(StatusCode::UNAUTHORIZED, "wrong access token (use the URL limbic printed)"),
        None => error(StatusCode::UNAUTHORIZED, "missing access token (use the URL limbic printed)"),
    }
}

/// Compares without stopping at the first difference, so timing tells nothing about the token.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", PAGE)
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such page")
}

/// The oldest open question (or null), the labels given and the questions waiting.
async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let board = shared.board();
    Json(json!({
        "question": board.next(),
        "labels_given": board.labels_given(),
        "pending": board.pending(),
        "fps": shared.fps,
    }))
    .into_response()
}

/// A clip's frames as one PNG: a grid of `ceil(sqrt(n))` columns, read left to right, top
/// to bottom (the page animates it by drawing one cell at a time, so it knows the step shown).
async fn clip_sheet(State(shared): State<Arc<Shared>>, Path(id): Path<ClipId>, Query(asker): Query<Asker>) -> Response {
    let (clip, painter) = {
        let board = shared.board();
        let desk = match board.desk(asker.signal.as_deref()) {
            Some(desk) => desk,
            None => return refused(Refusal::UnknownSignal(asker.signal.unwrap_or_default())),
        };
        (board.clip(desk, id).map(|clip| (desk, clip)), board.painter())
    };
    let Some((desk, clip)) = clip else {
        return error(StatusCode::NOT_FOUND, format!("no open question shows clip {id}"));
    };
    let cached = shared.sheets.lock().unwrap_or_else(|e| e.into_inner()).get(&(desk, id)).cloned();
    let bytes = match cached {
        Some(bytes) => bytes,
        None => {
            let frames = match super::clip_frames(&clip, painter.as_ref()) {
                Ok(frames) if !frames.is_empty() => frames,
                Ok(_) => return error(StatusCode::NOT_FOUND, format!("clip {id} has no frames")),
                Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
            };
            let encoded = match sheet(&frames).and_then(|s| encode_png(&s).map_err(|e| e.to_string())) {
                Ok(bytes) => Arc::new(bytes),
                Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, format!("clip {id}: {e}")),
            };
            let board = shared.board();
            let mut sheets = shared.sheets.lock().unwrap_or_else(|e| e.into_inner());
            sheets.retain(|&(desk, clip), _| board.clip(desk, clip).is_some());
            sheets.insert((desk, id), encoded.clone());
            encoded
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    (headers, bytes.as_ref().clone()).into_response()
}

/// Frames laid out in a near-square grid (all frames must have the first one's size).
pub fn sheet(frames: &[Frame]) -> Result<Frame, String> {
    let (w, h) = (frames[0].width, frames[0].height);
    if let Some(odd) = frames.iter().find(|f| (f.width, f.height) != (w, h)) {
        return Err(format!("frames of different sizes ({w}x{h} and {}x{})", odd.width, odd.height));
    }
    let cols = (frames.len() as f64).sqrt().ceil() as usize;
    let rows = frames.len().div_ceil(cols);
    let mut out = Frame::filled(cols * w, rows * h, [0, 0, 0]);
    for (i, frame) in frames.iter().enumerate() {
        let (x0, y0) = ((i % cols) * w, (i / cols) * h);
        for y in 0..h {
            let dst = ((y0 + y) * out.width + x0) * 3;
            out.pixels[dst..dst + w * 3].copy_from_slice(&frame.pixels[y * w * 3..(y + 1) * w * 3]);
        }
    }
    Ok(out)
}

/// The run's learning curve so far: `[env_steps, return_mean_100]` points (empty without a run).
async fn curve(State(shared): State<Arc<Shared>>) -> Response {
    let Some(dir) = &shared.run_dir else {
        return Json(json!({ "points": [] })).into_response();
    };
    match RunDir::open(dir).and_then(|run| run.read_metrics()) {
        Ok(lines) => Json(json!({ "points": series(&lines, "return_mean_100") })).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")),
    }
}

/// The signal a clip picture is asked for (the rest of the query string is the token).
#[derive(Deserialize)]
struct Asker {
    signal: Option<String>,
}

/// An answer as the page sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelRequest {
    /// The signal that asked (the page's first when absent).
    signal: Option<String>,
    query: QueryId,
    answer: Answer,
    /// Who answers (`web:<name>` in the label); `page` when absent.
    name: Option<String>,
}

async fn label(State(shared): State<Arc<Shared>>, body: Result<Json<LabelRequest>, JsonRejection>) -> Response {
    let request = match body {
        Ok(Json(request)) => request,
        Err(rejection) => return error(rejection.status(), rejection.body_text()),
    };
    let mut board = shared.board();
    let name = request.name.as_deref().unwrap_or("page");
    let Some(desk) = board.desk(request.signal.as_deref()) else {
        return refused(Refusal::UnknownSignal(request.signal.unwrap_or_default()));
    };
    match board.answer(desk, request.query, request.answer, name) {
        Ok(_) => Json(json!({ "labels_given": board.labels_given(), "pending": board.pending() })).into_response(),
        Err(refusal) => refused(refusal),
    }
}

fn refused(refusal: Refusal) -> Response {
    let status = match refusal {
        Refusal::UnknownSignal(_) | Refusal::UnknownQuery(_) => StatusCode::NOT_FOUND,
        Refusal::Duplicate(_) => StatusCode::CONFLICT,
        Refusal::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, refusal)
}
