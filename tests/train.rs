//! Training runs end to end with the random baseline: the run directory, metrics, checkpoints,
//! exact resume, and how failures leave the directory.

mod common;

use common::{failing, quiet, read_lines, small_config, temp_dir, without_wall_clock, Failure};
use limbic::run_dir::{RunDir, RunWriter};
use limbic::runner::{build_algorithm, resume, train, Options};
use serde_json::Value as Json;
use std::path::Path;

fn number(line: &serde_json::Map<String, Json>, key: &str) -> f64 {
    line.get(key).and_then(Json::as_f64).unwrap_or_else(|| panic!("`{key}` in {line:?}"))
}

#[test]
fn a_run_writes_its_directory_and_well_formed_metrics() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    let config = small_config();
    let outcome = train(&config, &dir, &build_algorithm, &Options { quiet: true, ..Options::default() }).unwrap();

    for file in ["config.json", "metrics.jsonl", "eval.json", "learning_curve.png", "episode.gif"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let png = std::fs::read(dir.join("learning_curve.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&std::fs::read(dir.join("episode.gif")).unwrap()[..6], b"GIF89a");
    assert_eq!(RunDir::open(&dir).unwrap().config().unwrap(), config);

    let lines = read_lines(&dir);
    assert_eq!(lines.len(), 20);
    let (mut episodes, mut resets) = (0.0, 0.0);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(number(line, "update"), (i + 1) as f64);
        assert_eq!(number(line, "env_steps"), 150.0 * (i + 1) as f64);
        assert!(number(line, "sps") > 0.0 && number(line, "time_s") >= 0.0);
        // CartPole pays 1 per step, except the autoreset steps after an episode ends (NEXT_STEP).
        resets += 150.0 * (1.0 - number(line, "reward_per_step"));
        let n = number(line, "episodes");
        episodes += n;
        if n > 0.0 {
            let (mean, min, max) =
                (number(line, "return_mean"), number(line, "return_min"), number(line, "return_max"));
            assert!(min <= mean && mean <= max);
            // CartPole's return is its length.
            assert_eq!(mean, number(line, "length_mean"));
        } else {
            assert!(!line.contains_key("return_mean"));
        }
        // Evaluations where the step count crosses a multiple of 600, and at the end.
        let evaluated = (i + 1) % 4 == 0 || i + 1 == 20;
        assert_eq!(line.contains_key("eval/mean_return"), evaluated, "line {}", i + 1);
    }
    // Random play ends a CartPole episode every ~22 steps: 3000 steps end over 100 episodes,
    // and each but those ended on the last step (at most one per sub-env) was reset.
    assert!(episodes > 100.0, "{episodes}");
    let pending = episodes - resets.round();
    assert!((0.0..=3.0).contains(&pending), "{episodes} episodes, {resets} resets");
    assert!(number(&lines[19], "return_mean_100") > 8.0);

    let eval: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("eval.json")).unwrap()).unwrap();
    assert_eq!(eval["episodes"], 3);
    assert_eq!(eval["mean_return"].as_f64(), Some(outcome.eval.mean_return));
    assert_eq!(eval["mean_return"], lines[19]["eval/mean_return"]);
    assert_eq!(outcome.counters.env_steps, 3000);
}

#[test]
fn checkpoints_keep_the_last_k_and_the_best() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    train(&small_config(), &dir, &build_algorithm, &quiet()).unwrap();
    let run = RunDir::open(&dir).unwrap();
    // Checkpoints at 900, 1800, 2700 and the end (3000); the last two kept.
    let steps: Vec<u64> = run.checkpoints().unwrap().into_iter().map(|(s, _)| s).collect();
    assert_eq!(steps, [2700, 3000]);
    for (_, path) in run.checkpoints().unwrap() {
        for part in ["algorithm/random.json", "trainer.json", "envs.json"] {
            assert!(path.join(part).is_file(), "{} lacks {part}", path.display());
        }
    }
    // best/ holds the first evaluation with the highest mean return.
    let lines = read_lines(&dir);
    let evals: Vec<(f64, f64)> = lines
        .iter()
        .filter_map(|l| Some((l.get("env_steps")?.as_f64()?, l.get("eval/mean_return")?.as_f64()?)))
        .collect();
    let best =
        evals.iter().fold(None, |b: Option<(f64, f64)>, &e| if b.is_none_or(|b| e.1 > b.1) { Some(e) } else { b });
    let (best_step, best_return) = best.unwrap();
    let best_dir = run.best_checkpoint().unwrap();
    let saved: Json = serde_json::from_str(&std::fs::read_to_string(best_dir.join("eval.json")).unwrap()).unwrap();
    assert_eq!(saved["mean_return"].as_f64(), Some(best_return));
    let trainer: Json = serde_json::from_str(&std::fs::read_to_string(best_dir.join("trainer.json")).unwrap()).unwrap();
    assert_eq!(trainer["env_steps"].as_f64(), Some(best_step));
    // Nothing half-written is left anywhere.
    assert_eq!(leftovers(&dir), Vec::<String>::new());
}

/// Temporary files and folders (names starting with a dot) anywhere under `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            found.push(entry.path().display().to_string());
        }
        if entry.path().is_dir() {
            found.extend(leftovers(&entry.path()));
        }
    }
    found
}

#[test]
fn a_resumed_run_writes_the_same_lines_as_an_uninterrupted_one() {
    let tmp = temp_dir();
    let config = small_config();
    let whole = tmp.path().join("whole");
    train(&config, &whole, &build_algorithm, &quiet()).unwrap();

    // The same run crashes at update 15, after checkpoints at updates 6 and 12.
    let crashed = tmp.path().join("crashed");
    let err = train(&config, &crashed, &failing(15, Failure::Crash), &quiet()).unwrap_err();
    assert!(format!("{err:#}").contains("simulated crash"), "{err:#}");
    assert_eq!(read_lines(&crashed).len(), 14);
    let checkpoints = RunDir::open(&crashed).unwrap().checkpoints().unwrap();
    assert_eq!(checkpoints.iter().map(|c| c.0).collect::<Vec<_>>(), [900, 1800]);

    let outcome = resume(&crashed, None, &build_algorithm, &quiet()).unwrap();
    assert_eq!(outcome.counters.env_steps, 3000);
    let (a, b) = (without_wall_clock(read_lines(&whole)), without_wall_clock(read_lines(&crashed)));
    assert_eq!(a.len(), 20);
    assert_eq!(a, b);
    let eval = |dir: &Path| std::fs::read_to_string(dir.join("eval.json")).unwrap();
    assert_eq!(eval(&whole), eval(&crashed));
    // The final checkpoints are the same too (the trainer's wall-clock time aside).
    let read = |dir: &Path, file: &str| std::fs::read_to_string(dir.join("checkpoints/step_3000").join(file)).unwrap();
    for file in ["envs.json", "algorithm/random.json"] {
        assert_eq!(read(&whole, file), read(&crashed, file), "{file}");
    }
    let trainer = |dir: &Path| {
        let mut t: Json = serde_json::from_str(&read(dir, "trainer.json")).unwrap();
        t.as_object_mut().unwrap().remove("time_s");
        t
    };
    assert_eq!(trainer(&whole), trainer(&crashed));
}

#[test]
fn resume_can_extend_a_finished_run() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    let config = small_config();
    train(&config, &dir, &build_algorithm, &quiet()).unwrap();
    let outcome = resume(&dir, Some(3600), &build_algorithm, &quiet()).unwrap();
    assert_eq!(outcome.counters.env_steps, 3600);
    assert_eq!(read_lines(&dir).len(), 24);
    assert_eq!(RunDir::open(&dir).unwrap().config().unwrap().total_steps, 3600);
}

#[test]
fn divergence_stops_training_with_the_algorithms_diagnostic() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    let err = train(&small_config(), &dir, &failing(4, Failure::Diverge), &quiet()).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("update 4") && message.contains("loss/value is NaN"), "{message}");
    // Resuming would diverge again: the message does not suggest it.
    assert!(message.contains("would diverge the same way") && !message.contains("--resume"), "{message}");
    // The directory holds the three complete updates before it, and nothing half-written.
    assert_eq!(read_lines(&dir).len(), 3);
    assert!(RunDir::open(&dir).unwrap().config().is_ok());
    assert_eq!(leftovers(&dir), Vec::<String>::new());
}

#[test]
fn a_non_finite_metric_is_caught_by_name() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    let err = train(&small_config(), &dir, &failing(2, Failure::NanMetric), &quiet()).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("update 2") && message.contains("`loss/policy` is NaN"), "{message}");
    assert_eq!(read_lines(&dir).len(), 1);
}

#[test]
fn a_corrupt_checkpoint_is_a_clear_error() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    train(&small_config(), &dir, &failing(15, Failure::Crash), &quiet()).unwrap_err();
    let latest = dir.join("checkpoints/step_1800");
    // Each file is checked against the checkpoint's manifest before anything is parsed.
    for (file, damage) in
        [("algorithm/random.json", "corrupt"), ("envs.json", "truncated"), ("trainer.json", "cannot read")]
    {
        let path = latest.join(file);
        let original = std::fs::read(&path).unwrap();
        match damage {
            "corrupt" => {
                std::fs::write(&path, original.iter().map(|b| if *b == b'7' { b'8' } else { *b }).collect::<Vec<_>>())
            }
            "truncated" => std::fs::write(&path, &original[..original.len() / 2]),
            _ => std::fs::remove_file(&path),
        }
        .unwrap();
        let message = format!("{:#}", resume(&dir, None, &build_algorithm, &quiet()).unwrap_err());
        assert!(message.contains(file) && message.contains(damage) && message.contains("damaged"), "{message}");
        std::fs::write(&path, original).unwrap();
    }
    std::fs::remove_file(latest.join("state.json")).unwrap();
    let message = format!("{:#}", resume(&dir, None, &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("state.json") && message.contains("cannot be used"), "{message}");
}

#[test]
fn a_new_run_refuses_an_existing_directory() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let message = format!("{:#}", train(&small_config(), &dir, &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("already exists") && message.contains("notes.txt"), "{message}");
    assert!(message.contains("choose another --out") && !message.contains("--resume"), "{message}");
    assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn an_algorithm_that_refuses_its_params_leaves_no_directory() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    let mut config = small_config();
    config.params = serde_json::json!({"learning_rate": 0.1});
    let message = format!("{:#}", train(&config, &dir, &build_algorithm, &quiet()).unwrap_err());
    assert!(message.contains("learning_rate") && message.contains("valid: n_steps"), "{message}");
    assert!(!dir.exists());
}

#[test]
fn an_interrupted_best_replacement_is_recovered() {
    let tmp = temp_dir();
    let dir = tmp.path().join("run");
    train(&small_config(), &dir, &build_algorithm, &quiet()).unwrap();
    let checkpoints = dir.join("checkpoints");
    // A crash between the two renames: the old best moved aside, the new one half built.
    std::fs::rename(checkpoints.join("best"), checkpoints.join(".old-best")).unwrap();
    std::fs::create_dir_all(checkpoints.join(".tmp-best/algorithm")).unwrap();
    std::fs::create_dir_all(checkpoints.join(".tmp-step_3300")).unwrap();
    // A reader changes nothing, and finds the previous best.
    let run = RunDir::open(&dir).unwrap();
    assert!(run.best_checkpoint().unwrap().join("eval.json").is_file());
    assert_eq!(leftovers(&dir).len(), 3);
    // The writer that takes the directory over cleans up.
    let run = RunWriter::open(&dir).unwrap();
    assert!(run.best_checkpoint().unwrap().ends_with("best"));
    assert_eq!(leftovers(&dir), Vec::<String>::new());
}
