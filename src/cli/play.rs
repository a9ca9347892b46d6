//! `limbic play`: drive a MiniGrid agent from the keyboard, in a terminal.
//!
//! Keys: left / right arrows turn, up arrow moves forward; `p` picks up, `d` drops, `t` or space
//! toggles, enter says done; `r` or backspace starts a new episode; `q`, escape or ctrl-c quits.
//! After every key the screen shows the grid, the mission, the step count, the last reward and
//! the keys. An episode that ended waits for a new one (or quit).
//!
//! Episode `i` is reset with seed `S + i`, where `S` is `--seed` (a random seed when absent), so
//! every episode played can be replayed.
//!
//! # Recording a Minari dataset (`--record DATASET`)
//!
//! A path that does not end in `.jsonl` is a dataset folder in Minari's layout (arrow backend,
//! see `limbic demos`). Every episode is saved the moment it ends (the whole dataset rewritten
//! atomically), so quitting or a crash loses none that ended. An episode left unfinished (by
//! `r`, `q`, escape or ctrl-c) is kept with its last step marked *truncated*, as Minari's
//! `DataCollector` marks an episode reset midway; one without any step is dropped. An existing
//! dataset of the same env is appended to.
//!
//! # Recording JSON lines (`--record FILE.jsonl`)
//!
//! Appends one JSON object per line, flushed line by line so that nothing played is lost:
//!
//! - per episode, first the reset: `{"episode": i, "seed": s, "t": 0, "obs": OBS, "action":
//!   null, "reward": null, "terminated": false, "truncated": false}`;
//! - then per step `t` (1, 2, ...): the action taken and what the env returned for it:
//!   `{"episode": i, "seed": s, "t": t, "obs": OBS, "action": a, "reward": r, "terminated":
//!   bool, "truncated": bool}`, where `a` is MiniGrid's action index (0 left, 1 right,
//!   2 forward, 3 pickup, 4 drop, 5 toggle, 6 done).
//!
//! `OBS` is MiniGrid's observation: `{"image": [[[type, colour, state], ...], ...], "direction":
//! 0..4, "mission": "..."}`, the image nested `[x][y][channel]` as MiniGrid's numpy array. So an
//! episode of `n` steps has `n + 1` observations and `n` actions, Minari's layout. A new episode
//! (key `r`) starts with a reset line even if the last one did not end; a quit leaves the
//! episode as it was.

use anyhow::{bail, Context, Result};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, queue, style, terminal};
use limbic::datasets::{Dataset, Episode};
use limbic::lock::DirLock;
use limbic_environments::gridworld::{self, Action, GridEnv};
use limbic_environments::{Env, Options, Value};
use serde_json::{json, Value as Json};
use std::fs::{File, OpenOptions};
use std::io::{Stdout, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
#[command(after_help = RECORD_FORMAT)]
pub struct Args {
    /// MiniGrid environment id, e.g. MiniGrid-DoorKey-5x5-v0 (see `limbic envs`).
    #[arg(long)]
    env: String,
    /// Seed of the first episode (episode i uses seed + i); random when absent.
    #[arg(long)]
    seed: Option<u64>,
    /// Record the episodes played: a Minari dataset folder, or JSON lines for a path ending in
    /// `.jsonl` (format below). Both are appended to when they exist.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Keyword arguments for `make`, as a JSON object.
    #[arg(long)]
    kwargs: Option<String>,
}

const RECORD_FORMAT: &str = "--record writes one JSON object per line, flushed as it goes: per episode first \
{episode, seed, t: 0, obs, action: null, reward: null, terminated: false, truncated: false} for the reset, then one \
line per step t = 1, 2, ... with the action index (0 left, 1 right, 2 forward, 3 pickup, 4 drop, 5 toggle, 6 done) \
and what the step returned. obs is {image: [x][y][type, colour, state], direction, mission}.";

const KEYS: &str = "keys: \u{2190}/\u{2192} turn  \u{2191} forward  p pickup  d drop  t/space toggle  enter done  \
                    r/backspace new episode  q/esc quit";

pub fn run(args: Args) -> Result<()> {
    let env = make_gridworld(&args.env, args.kwargs.as_deref())?;
    let recorder = match &args.record {
        Some(path) => Some(Recorder::open(path, &args.env)?),
        None => None,
    };
    let seed = args.seed.unwrap_or_else(random_seed);
    let mut session = Session::new(env, args.env.clone(), seed, recorder)?;
    let mut screen = Screen::enter()?;
    loop {
        screen.draw(&session.screen())?;
        let Event::Key(key) = event::read().context("reading the keyboard")? else { continue };
        if key.kind == KeyEventKind::Release {
            continue;
        }
        if let Some(command) = command_for(key) {
            if session.handle(command)? == Flow::Quit {
                return Ok(());
            }
        }
    }
}

/// The MiniGrid env `id`, or an error that says only gridworlds can be played.
fn make_gridworld(id: &str, kwargs: Option<&str>) -> Result<Box<dyn GridEnv>> {
    if !gridworld::ids().contains(&id) {
        if limbic_environments::registry::spec(id).is_ok() {
            bail!("`limbic play` drives MiniGrid environments only; `{id}` is not one (see `limbic envs`)");
        }
        // The registry's error names the nearest ids.
        limbic_environments::registry::spec(id)?;
    }
    Ok(gridworld::make(id, &super::parse_kwargs(kwargs)?)?)
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    // A seed small enough to type back in.
    RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000
}

// ----- What a key asks for. -----

/// A key's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Act(Action),
    NewEpisode,
    Quit,
}

/// The command a key press stands for, if any.
pub(crate) fn command_for(key: KeyEvent) -> Option<Command> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Command::Quit,
        KeyCode::Left => Command::Act(Action::Left),
        KeyCode::Right => Command::Act(Action::Right),
        KeyCode::Up => Command::Act(Action::Forward),
        KeyCode::Char('p') => Command::Act(Action::Pickup),
        KeyCode::Char('d') => Command::Act(Action::Drop),
        KeyCode::Char('t') | KeyCode::Char(' ') => Command::Act(Action::Toggle),
        KeyCode::Enter => Command::Act(Action::Done),
        KeyCode::Char('r') | KeyCode::Backspace => Command::NewEpisode,
        KeyCode::Char('q') | KeyCode::Esc => Command::Quit,
        _ => return None,
    })
}

// ----- The game, apart from the terminal. -----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Quit,
}

/// An env being played: the episodes, their steps, and the recording.
pub(crate) struct Session {
    env: Box<dyn GridEnv>,
    id: String,
    first_seed: u64,
    episode: u64,
    step: u32,
    last_reward: Option<f64>,
    total_reward: f64,
    /// How the current episode ended, if it did: (terminated, truncated).
    ended: Option<(bool, bool)>,
    recorder: Option<Recorder>,
}

impl Session {
    /// Starts episode 0 with seed `first_seed`.
    pub(crate) fn new(env: Box<dyn GridEnv>, id: String, first_seed: u64, recorder: Option<Recorder>) -> Result<Self> {
        let mut session = Session {
            env,
            id,
            first_seed,
            episode: 0,
            step: 0,
            last_reward: None,
            total_reward: 0.0,
            ended: None,
            recorder,
        };
        session.reset()?;
        Ok(session)
    }

    fn seed(&self) -> u64 {
        self.first_seed.wrapping_add(self.episode)
    }

    fn reset(&mut self) -> Result<()> {
        let (obs, _) = self.env.reset(Some(self.seed()), &Options::new())?;
        (self.step, self.last_reward, self.total_reward, self.ended) = (0, None, 0.0, None);
        self.record(&obs, None, None, false, false)
    }

    /// Carries out a command: an action steps the env (unless the episode is over).
    pub(crate) fn handle(&mut self, command: Command) -> Result<Flow> {
        match command {
            Command::Quit => {
                if let Some(recorder) = &mut self.recorder {
                    recorder.close_episode()?;
                }
                return Ok(Flow::Quit);
            }
            Command::NewEpisode => {
                if let Some(recorder) = &mut self.recorder {
                    recorder.close_episode()?;
                }
                self.episode += 1;
                self.reset()?;
            }
            Command::Act(_) if self.ended.is_some() => {}
            // Dynamic-Obstacles has only the first three actions.
            Command::Act(action) if !self.env.action_space().contains(&Value::Int(action as i64)) => {}
            Command::Act(action) => {
                let step = self.env.step(&Value::Int(action as i64))?;
                self.step += 1;
                self.last_reward = Some(step.reward);
                self.total_reward += step.reward;
                if step.terminated || step.truncated {
                    self.ended = Some((step.terminated, step.truncated));
                }
                self.record(&step.obs, Some(action), Some(step.reward), step.terminated, step.truncated)?;
            }
        }
        Ok(Flow::Continue)
    }

    fn record(
        &mut self,
        obs: &Value,
        action: Option<Action>,
        reward: Option<f64>,
        terminated: bool,
        truncated: bool,
    ) -> Result<()> {
        let seed = self.seed();
        match &mut self.recorder {
            None => Ok(()),
            Some(Recorder::Lines(lines)) => lines.write(&json!({
                "episode": self.episode,
                "seed": seed,
                "t": self.step,
                "obs": obs_json(obs, self.env.config().agent_view_size)?,
                "action": action.map(|a| a as u8),
                "reward": reward,
                "terminated": terminated,
                "truncated": truncated,
            })),
            Some(Recorder::Dataset(dataset)) => match (action, reward) {
                (Some(action), Some(reward)) => {
                    dataset.step(Value::Int(action as i64), obs.clone(), reward, terminated, truncated)
                }
                _ => dataset.reset(obs.clone(), seed),
            },
        }
    }

    /// The whole screen, as lines of text.
    pub(crate) fn screen(&self) -> String {
        let world = self.env.world();
        let reward = self.last_reward.map_or("-".to_string(), |r| format!("{r:.4}"));
        let status = match self.ended {
            None => String::new(),
            Some((true, _)) if self.total_reward > 0.0 => {
                format!("Solved, return {:.4}. r: new episode, q: quit", self.total_reward)
            }
            Some((true, _)) => format!("Episode over, return {:.4}. r: new episode, q: quit", self.total_reward),
            Some(_) => "Out of time. r: new episode, q: quit".to_string(),
        };
        [
            format!("{}  episode {}  seed {}", self.id, self.episode, self.seed()),
            format!("mission: {}", limbic::plot::wrap_words(&world.mission, MISSION_COLUMNS).join("\n         ")),
            String::new(),
            grid_text(self.env.as_ref()),
            String::new(),
            format!(
                "step {} / {}   last reward {reward}   return {:.4}",
                self.step, world.max_steps, self.total_reward
            ),
            status,
            KEYS.to_string(),
        ]
        .join("\n")
    }
}

/// Where the screen wraps a long mission (BabyAI's run to 300 characters).
const MISSION_COLUMNS: usize = 70;

/// The grid as the screen shows it. The one place to switch to a coloured renderer.
fn grid_text(env: &dyn GridEnv) -> String {
    env.to_text()
}

/// MiniGrid's observation as JSON, the image nested `[x][y][channel]`.
fn obs_json(obs: &Value, view: usize) -> Result<Json> {
    let (Some(Value::U8(image)), Some(Value::Int(direction)), Some(Value::Text(mission))) =
        (obs.get("image"), obs.get("direction"), obs.get("mission"))
    else {
        bail!("not a MiniGrid observation: {obs}")
    };
    if image.len() != view * view * 3 {
        bail!("the image holds {} values, not {view} x {view} x 3", image.len());
    }
    let column = |x: usize| -> Json { (0..view).map(|y| json!(&image[(x * view + y) * 3..][..3])).collect() };
    Ok(json!({"image": (0..view).map(column).collect::<Json>(), "direction": direction, "mission": mission}))
}

/// Where the episodes played go.
pub(crate) enum Recorder {
    Lines(LineRecorder),
    Dataset(Box<DatasetRecorder>),
}

impl Recorder {
    /// JSON lines for a path ending in `.jsonl`, else a Minari dataset folder.
    pub(crate) fn open(path: &Path, env_id: &str) -> Result<Recorder> {
        Ok(if path.extension().is_some_and(|e| e == "jsonl") {
            Recorder::Lines(LineRecorder::open(path)?)
        } else {
            Recorder::Dataset(Box::new(DatasetRecorder::open(path, env_id)?))
        })
    }

    /// The current episode is over, finished or not (a new episode, or quitting).
    fn close_episode(&mut self) -> Result<()> {
        match self {
            Recorder::Lines(_) => Ok(()),
            Recorder::Dataset(dataset) => dataset.close_episode(),
        }
    }
}

/// Appends JSON lines to a file, flushing each.
pub(crate) struct LineRecorder {
    file: File,
    path: PathBuf,
}

impl LineRecorder {
    fn open(path: &Path) -> Result<LineRecorder> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {} for recording", path.display()))?;
        Ok(LineRecorder { file, path: path.to_path_buf() })
    }

    fn write(&mut self, line: &Json) -> Result<()> {
        writeln!(self.file, "{line}")
            .and_then(|()| self.file.flush())
            .with_context(|| format!("cannot write to {}", self.path.display()))
    }
}

/// Collects the episodes played into a Minari dataset, saved whenever an episode ends; the
/// dataset is owned (locked) while the game goes on.
pub(crate) struct DatasetRecorder {
    path: PathBuf,
    dataset: Dataset,
    current: Option<Episode>,
    _lock: DirLock,
}

impl DatasetRecorder {
    fn open(path: &Path, env_id: &str) -> Result<DatasetRecorder> {
        let lock = DirLock::acquire(path)?;
        let dataset = if path.exists() {
            let dataset = Dataset::read(path)?;
            if dataset.metadata.env_id() != Some(env_id) {
                bail!(
                    "{} holds episodes of {}, not {env_id}; record into another folder",
                    path.display(),
                    dataset.metadata.env_id().unwrap_or("an unknown env")
                );
            }
            dataset
        } else {
            let env_name = env_id.rsplit_once("-v").map_or(env_id, |(name, _)| name);
            let mut dataset = Dataset::for_env(&format!("limbic/{env_name}/human-v0"), env_id)?;
            dataset.metadata.algorithm_name = Some("human (limbic play)".into());
            dataset
        };
        Ok(DatasetRecorder { path: path.to_path_buf(), dataset, current: None, _lock: lock })
    }

    fn reset(&mut self, obs: Value, seed: u64) -> Result<()> {
        self.close_episode()?;
        self.current = Some(Episode::new(0, Some(seed), obs));
        Ok(())
    }

    fn step(&mut self, action: Value, obs: Value, reward: f64, terminated: bool, truncated: bool) -> Result<()> {
        let Some(episode) = &mut self.current else { return Ok(()) };
        episode.push_step(action, obs, reward, terminated, truncated);
        if terminated || truncated {
            self.close_episode()?;
        }
        Ok(())
    }

    /// Saves the current episode: as it ended, or marked truncated at its last step if it had
    /// not ended; an episode without steps is dropped.
    fn close_episode(&mut self) -> Result<()> {
        let Some(mut episode) = self.current.take() else { return Ok(()) };
        let Some(last) = episode.len().checked_sub(1) else { return Ok(()) };
        if !episode.terminations[last] {
            episode.truncations[last] = true;
        }
        self.dataset.push(episode)?;
        self.dataset
            .write(&self.path, true)
            .with_context(|| format!("saving the episodes played to {}", self.path.display()))
    }
}

// ----- The terminal. -----

/// The terminal in raw mode on the alternate screen; put back as it was when dropped, also on
/// an error, and by the panic hook on a panic.
struct Screen {
    out: Stdout,
}

impl Screen {
    fn enter() -> Result<Screen> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
        terminal::enable_raw_mode().context("cannot put the terminal in raw mode (is this a terminal?)")?;
        let mut out = std::io::stdout();
        if let Err(e) = execute!(out, terminal::EnterAlternateScreen, cursor::Hide) {
            restore_terminal();
            return Err(e).context("cannot switch to the alternate screen");
        }
        Ok(Screen { out })
    }

    /// Replaces the screen's contents with `text`.
    fn draw(&mut self, text: &str) -> Result<()> {
        queue!(self.out, terminal::Clear(terminal::ClearType::All))?;
        for (row, line) in text.lines().enumerate() {
            queue!(self.out, cursor::MoveTo(0, row as u16), style::Print(line))?;
        }
        self.out.flush()?;
        Ok(())
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn restore_terminal() {
    let _ = execute!(std::io::stdout(), cursor::Show, terminal::LeaveAlternateScreen);
    let _ = terminal::disable_raw_mode();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_map_to_actions_and_commands() {
        let expected = [
            (KeyCode::Left, Command::Act(Action::Left)),
            (KeyCode::Right, Command::Act(Action::Right)),
            (KeyCode::Up, Command::Act(Action::Forward)),
            (KeyCode::Char('p'), Command::Act(Action::Pickup)),
            (KeyCode::Char('d'), Command::Act(Action::Drop)),
            (KeyCode::Char('t'), Command::Act(Action::Toggle)),
            (KeyCode::Char(' '), Command::Act(Action::Toggle)),
            (KeyCode::Enter, Command::Act(Action::Done)),
            (KeyCode::Char('r'), Command::NewEpisode),
            (KeyCode::Backspace, Command::NewEpisode),
            (KeyCode::Char('q'), Command::Quit),
            (KeyCode::Esc, Command::Quit),
        ];
        for (code, command) in expected {
            assert_eq!(command_for(key(code)), Some(command), "{code:?}");
        }
        assert_eq!(command_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Command::Quit));
        assert_eq!(command_for(key(KeyCode::Down)), None);
        assert_eq!(command_for(key(KeyCode::Char('x'))), None);
    }

    fn read_lines(path: &std::path::Path) -> Vec<Json> {
        let text = std::fs::read_to_string(path).unwrap();
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    }

    #[test]
    fn babyai_levels_play_with_their_mission_wrapped() {
        let id = "BabyAI-BossLevel-v0";
        let instr = r#"{"instr": "put a ball next to a key and pick up a box, then open a door and go to a key"}"#;
        let session = Session::new(make_gridworld(id, Some(instr)).unwrap(), id.into(), 7, None).unwrap();
        let screen = session.screen();
        let mission = session.env.world().mission.clone();
        let shown: Vec<&str> = screen.lines().skip(1).take_while(|l| !l.is_empty()).collect();
        assert!(shown.len() >= 2 && shown[0].starts_with("mission: "), "{screen}");
        assert!(shown.iter().all(|l| l.len() <= MISSION_COLUMNS + 9), "{screen}");
        let words: Vec<&str> = shown.iter().flat_map(|l| l.split_whitespace()).skip(1).collect();
        assert_eq!(words.join(" "), mission);
    }

    #[test]
    fn a_keyed_episode_is_played_shown_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("play.jsonl");
        let id = "MiniGrid-DoorKey-5x5-v0";
        let env = make_gridworld(id, None).unwrap();
        let mut session = Session::new(env, id.into(), 42, Some(Recorder::open(&path, id).unwrap())).unwrap();
        assert!(session.screen().contains("mission: use the key to open the door and then get to the goal"));
        // Seed 42 is solved by pickup, left, toggle, forward, forward, right, forward (see the
        // gridworld module's doc); a key that means nothing changes nothing.
        let keys = [
            KeyCode::Char('p'),
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Char(' '),
            KeyCode::Up,
            KeyCode::Up,
            KeyCode::Right,
            KeyCode::Up,
        ];
        for code in keys {
            if let Some(command) = command_for(key(code)) {
                assert_eq!(session.handle(command).unwrap(), Flow::Continue);
            }
        }
        let reward = 1.0 - 0.9 * (7.0 / 250.0);
        let screen = session.screen();
        assert!(screen.contains("step 7 / 250") && screen.contains("Solved"), "{screen}");
        assert!(screen.contains(&format!("last reward {reward:.4}")), "{screen}");
        assert_eq!(screen.lines().nth(3).unwrap(), "WGWGWGWGWG", "the grid's top row");
        // Further actions wait for a new episode.
        session.handle(Command::Act(Action::Forward)).unwrap();
        assert!(session.screen().contains("step 7 / 250"));

        let lines = read_lines(&path);
        assert_eq!(lines.len(), 8, "the reset and 7 steps");
        let actions: Vec<&Json> = lines.iter().map(|l| &l["action"]).collect();
        assert_eq!(actions, [&Json::Null, &json!(3), &json!(0), &json!(5), &json!(2), &json!(2), &json!(1), &json!(2)]);
        for (t, line) in lines.iter().enumerate() {
            assert_eq!(
                (line["episode"].as_u64(), line["seed"].as_u64(), line["t"].as_u64()),
                (Some(0), Some(42), Some(t as u64))
            );
            let image = line["obs"]["image"].as_array().unwrap();
            assert!(image.len() == 7 && image.iter().all(|col| col.as_array().unwrap().len() == 7));
        }
        assert_eq!(lines[0]["reward"], Json::Null);
        assert_eq!(lines[0]["obs"]["direction"], json!(1), "seed 42 starts facing down");
        assert_eq!(lines[7]["reward"].as_f64(), Some(reward));
        assert_eq!((lines[7]["terminated"].as_bool(), lines[7]["truncated"].as_bool()), (Some(true), Some(false)));
        // The agent's own cell, bottom middle of its view, shows what it carries: nothing, then
        // the yellow key.
        assert_eq!(lines[0]["obs"]["image"][3][6], json!([1, 0, 0]));
        assert_eq!(lines[1]["obs"]["image"][3][6], json!([5, 4, 0]));

        // A new episode is seeded 43, and appended.
        session.handle(Command::NewEpisode).unwrap();
        assert!(session.screen().contains("episode 1  seed 43"));
        assert_eq!(session.handle(Command::Quit).unwrap(), Flow::Quit);
        let lines = read_lines(&path);
        assert_eq!(lines.len(), 9);
        assert_eq!(
            (lines[8]["episode"].as_u64(), lines[8]["seed"].as_u64(), lines[8]["t"].as_u64()),
            (Some(1), Some(43), Some(0))
        );
    }

    #[test]
    fn played_episodes_become_a_minari_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("human");
        let id = "MiniGrid-DoorKey-5x5-v0";
        let recorder = Recorder::open(&path, id).unwrap();
        let mut session = Session::new(make_gridworld(id, None).unwrap(), id.into(), 42, Some(recorder)).unwrap();
        // Seed 42's solution (see above): saved the moment it ends, before any quit.
        for action in [Action::Pickup, Action::Left, Action::Toggle, Action::Forward, Action::Forward, Action::Right] {
            session.handle(Command::Act(action)).unwrap();
        }
        assert!(!path.exists(), "nothing ended yet");
        session.handle(Command::Act(Action::Forward)).unwrap();
        let saved = Dataset::read(&path).unwrap();
        assert_eq!((saved.episodes.len(), saved.episodes[0].len()), (1, 7));
        assert_eq!(saved.metadata.env_id(), Some(id));
        // Episode 1 (seed 43) is left after two steps by quitting: kept, marked truncated.
        session.handle(Command::NewEpisode).unwrap();
        session.handle(Command::Act(Action::Left)).unwrap();
        session.handle(Command::Act(Action::Left)).unwrap();
        assert_eq!(session.handle(Command::Quit).unwrap(), Flow::Quit);
        let saved = Dataset::read(&path).unwrap();
        let [first, second] = &saved.episodes[..] else { panic!("two episodes") };
        assert_eq!((first.seed, first.terminations[6], first.truncations[6]), (Some(42), true, false));
        assert!(first.rewards[6] > 0.0);
        assert_eq!((second.seed, second.len()), (Some(43), 2));
        assert_eq!((second.terminations[1], second.truncations[1]), (false, true));
        assert_eq!(second.actions, [Value::Int(0), Value::Int(0)]);
        // While a game records into the dataset, nobody else writes it.
        let err = Recorder::open(&path, id).err().unwrap().to_string();
        assert!(err.contains("being written by another limbic process"), "{err}");
        drop(session);
        // Playing on appends; an empty episode (reset, then quit) is dropped.
        let recorder = Recorder::open(&path, id).unwrap();
        let mut session = Session::new(make_gridworld(id, None).unwrap(), id.into(), 7, Some(recorder)).unwrap();
        session.handle(Command::Act(Action::Right)).unwrap();
        session.handle(Command::NewEpisode).unwrap();
        session.handle(Command::Quit).unwrap();
        assert_eq!(Dataset::read(&path).unwrap().episodes.len(), 3);
        drop(session);
        let err = Recorder::open(&path, "MiniGrid-Empty-5x5-v0").err().unwrap().to_string();
        assert!(err.contains("MiniGrid-DoorKey-5x5-v0") && err.contains("not MiniGrid-Empty-5x5-v0"), "{err}");
    }

    #[test]
    fn the_recorded_image_is_minigrids_array() {
        let id = "MiniGrid-Empty-5x5-v0";
        let mut env = make_gridworld(id, None).unwrap();
        let (obs, _) = env.reset(Some(0), &Options::new()).unwrap();
        let Some(Value::U8(flat)) = obs.get("image") else { panic!("no image") };
        let nested = obs_json(&obs, 7).unwrap();
        for x in 0..7 {
            for y in 0..7 {
                for c in 0..3 {
                    assert_eq!(nested["image"][x][y][c].as_u64(), Some(flat[(x * 7 + y) * 3 + c] as u64));
                }
            }
        }
        assert_eq!(nested["mission"], json!("get to the green goal square"));
    }

    #[test]
    fn only_gridworlds_can_be_played() {
        let err = make_gridworld("CartPole-v1", None).err().unwrap().to_string();
        assert!(err.contains("MiniGrid environments only") && err.contains("CartPole-v1"), "{err}");
        let err = make_gridworld("MiniGrid-DoorKey-5x5-v9", None).err().unwrap().to_string();
        assert!(err.contains("unknown environment id"), "{err}");
    }

    #[test]
    fn dynamic_obstacles_ignore_actions_they_do_not_have() {
        let id = "MiniGrid-Dynamic-Obstacles-5x5-v0";
        let mut session = Session::new(make_gridworld(id, None).unwrap(), id.into(), 0, None).unwrap();
        session.handle(Command::Act(Action::Pickup)).unwrap();
        assert!(session.screen().contains("step 0 /"));
        session.handle(Command::Act(Action::Left)).unwrap();
        assert!(session.screen().contains("step 1 /"));
    }
}
