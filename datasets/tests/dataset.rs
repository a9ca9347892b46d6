//! Datasets: round trips, a dataset written by Python Minari, corrupt files, atomic writes.

use limbic_datasets::{Actions, Dataset, DatasetError, Episode};
use limbic_environments::json::value_to_json;
use limbic_environments::rng::Generator;
use limbic_environments::{make, Env, Kwargs, Options, Value};
use serde_json::Value as Json;
use std::fs;
use std::path::{Path, PathBuf};

/// `episodes` episodes of `env_id` with uniform random actions (episode i: reset seed i).
fn random_dataset(env_id: &str, episodes: u64) -> Dataset {
    let mut env = make(env_id, &Kwargs::new()).unwrap();
    let mut dataset = Dataset::for_env(&format!("test/{env_id}-v0"), env_id).unwrap();
    for seed in 0..episodes {
        let mut rng = Generator::from_seed(seed);
        let (obs, _) = env.reset(Some(seed), &Options::new()).unwrap();
        let mut episode = Episode::new(0, Some(seed), obs);
        loop {
            let action = env.action_space().sample(&mut rng);
            let step = env.step(&action).unwrap();
            let done = step.terminated || step.truncated;
            episode.push_step(action, step.obs, step.reward, step.terminated, step.truncated);
            if done {
                break;
            }
        }
        dataset.push(episode).unwrap();
    }
    dataset
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minari").join(name)
}

/// Copies a folder tree (to damage a fixture without touching it).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn round_trip_keeps_every_field() {
    for (env_id, n) in [("CartPole-v1", 3), ("Pendulum-v1", 1), ("MiniGrid-DoorKey-5x5-v0", 2)] {
        let mut dataset = random_dataset(env_id, n);
        dataset.metadata.ref_min_score = Some(-1.5);
        dataset.metadata.ref_max_score = Some(2.25);
        dataset.metadata.algorithm_name = Some("uniform random".into());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ds");
        dataset.write(&path, false).unwrap();
        assert!(path.join("data/metadata.json").is_file() && path.join("data/0/part-0.arrow").is_file());
        let back = Dataset::read(&path).unwrap();
        assert_eq!(back.episodes, dataset.episodes, "{env_id}");
        let (a, b) = (&back.metadata, &dataset.metadata);
        assert_eq!(
            (&a.observation_space, &a.action_space, &a.env_spec),
            (&b.observation_space, &b.action_space, &b.env_spec)
        );
        assert_eq!((a.total_episodes, a.total_steps), (n as usize, dataset.episodes.iter().map(Episode::len).sum()));
        assert_eq!((a.ref_min_score, a.ref_max_score, a.env_id()), (Some(-1.5), Some(2.25), Some(env_id)));
        assert_eq!((a.data_format.as_str(), a.jpeg_encoding), ("arrow", false));
        // The ids come from their position, the seeds are kept.
        assert_eq!(
            back.episodes.iter().map(|e| (e.id, e.seed)).collect::<Vec<_>>(),
            (0..n).map(|i| (i, Some(i))).collect::<Vec<_>>()
        );
    }
}

#[test]
fn flat_rows_are_the_envs_flat_observations() {
    let dataset = random_dataset("MiniGrid-DoorKey-5x5-v0", 1);
    let flat = dataset.flat_episodes().unwrap();
    let mut env = make("MiniGrid-DoorKey-5x5-v0", &Kwargs::new()).unwrap();
    let mut row = vec![0.0f32; env.flat_space().flat_dim().unwrap()];
    env.reset_into(Some(0), &mut row).unwrap();
    let episode = &flat[0];
    assert_eq!((episode.obs_dim, episode.observation(0)), (row.len(), row.as_slice()));
    let Actions::Discrete(actions) = &episode.actions else { panic!("DoorKey has discrete actions") };
    for (t, &a) in actions.iter().enumerate() {
        env.step_into(&Value::Int(a), &mut row).unwrap();
        assert_eq!(episode.observation(t + 1), row.as_slice(), "step {t}");
    }
    let pendulum = random_dataset("Pendulum-v1", 1).flat_episodes().unwrap();
    assert!(matches!(&pendulum[0].actions, Actions::Continuous { dim: 1, values } if values.len() == 200));
}

/// The Minari-written fixture, compared field by field with what Python recorded alongside it,
/// and replayed in limbic's environment (which must reproduce it exactly).
fn check_fixture(name: &str, env_id: &str, episodes: usize) {
    let dataset = Dataset::read(&fixture(name)).unwrap();
    let expected: Vec<Json> =
        serde_json::from_str(&fs::read_to_string(fixture(name).join("expected.json")).unwrap()).unwrap();
    let meta = &dataset.metadata;
    assert_eq!((meta.env_id(), meta.total_episodes, dataset.episodes.len()), (Some(env_id), episodes, episodes));
    assert_eq!(meta.minari_version, "0.5.4");
    // Minari's spaces are the env's spaces in limbic.
    assert_eq!(dataset.env_mismatch(), None);
    let mut env = make(env_id, &Kwargs::new()).unwrap();
    for (episode, want) in dataset.episodes.iter().zip(&expected) {
        let col = |v: &[Value], space| v.iter().map(|x| value_to_json(space, x)).collect::<Vec<_>>();
        assert_eq!(Json::from(col(&episode.observations, &meta.observation_space)), want["observations"]);
        assert_eq!(Json::from(col(&episode.actions, &meta.action_space)), want["actions"]);
        assert_eq!(Json::from(episode.rewards.clone()), want["rewards"]);
        assert_eq!(Json::from(episode.terminations.clone()), want["terminations"]);
        assert_eq!(Json::from(episode.truncations.clone()), want["truncations"]);
        let (obs, _) = env.reset(episode.seed, &Options::new()).unwrap();
        assert_eq!(obs, episode.observations[0]);
        for (t, action) in episode.actions.iter().enumerate() {
            let step = env.step(action).unwrap();
            assert_eq!(step.obs, episode.observations[t + 1], "{name} episode {} step {t}", episode.id);
            assert_eq!(
                (step.reward, step.terminated, step.truncated),
                (episode.rewards[t], episode.terminations[t], episode.truncations[t])
            );
        }
    }
}

#[test]
fn minari_written_cartpole_loads() {
    check_fixture("cartpole-v1-v0", "CartPole-v1", 3);
}

#[test]
fn minari_written_popgym_tuple_and_multidiscrete_load() {
    check_fixture("popgym-autoencode-easy-v0", "popgym-AutoencodeEasy-v0", 2);
    check_fixture("popgym-battleship-easy-v0", "popgym-BattleshipEasy-v0", 2);
    check_fixture("popgym-concentration-easy-v0", "popgym-ConcentrationEasy-v0", 1);
}

#[test]
fn popgym_datasets_round_trip_and_flatten() {
    for env_id in ["popgym-AutoencodeEasy-v0", "popgym-BattleshipEasy-v0", "popgym-CountRecallEasy-v0"] {
        let dataset = random_dataset(env_id, 2);
        let dir = tempfile::tempdir().unwrap();
        dataset.write(&dir.path().join("ds"), false).unwrap();
        let back = Dataset::read(&dir.path().join("ds")).unwrap();
        assert_eq!(back.episodes, dataset.episodes, "{env_id}");
        assert_eq!(back.metadata.observation_space, dataset.metadata.observation_space);
    }
    // Tuple observations flatten one-hot, as learners see them.
    let flat = random_dataset("popgym-AutoencodeEasy-v0", 1).flat_episodes().unwrap();
    assert_eq!(flat[0].obs_dim, 6);
    assert_eq!(flat[0].observation(0).iter().sum::<f32>(), 2.0);
    // MultiDiscrete actions have no flat form for the learners yet: a clear error.
    let err = random_dataset("popgym-BattleshipEasy-v0", 1).flat_episodes().unwrap_err().to_string();
    assert!(err.contains("MultiDiscrete([8, 8])"), "{err}");
}

#[test]
fn minari_written_minigrid_dict_with_mission_loads() {
    check_fixture("minigrid-empty-5x5-v0", "MiniGrid-Empty-5x5-v0", 1);
    let dataset = Dataset::read(&fixture("minigrid-empty-5x5-v0")).unwrap();
    assert_eq!(
        dataset.episodes[0].observations[0].get("mission"),
        Some(&Value::Text("get to the green goal square".into()))
    );
}

/// Writes a 3-episode CartPole dataset and returns (tempdir, dataset path).
fn written() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ds");
    random_dataset("CartPole-v1", 3).write(&path, false).unwrap();
    (dir, path)
}

fn read_error(path: &Path) -> String {
    match Dataset::read(path) {
        Ok(_) => panic!("reading {} should fail", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn truncated_file_names_file_and_episode() {
    let (_dir, path) = written();
    let file = path.join("data/1/part-0.arrow");
    let bytes = fs::read(&file).unwrap();
    fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_error(&path);
    assert!(err.contains("data/1/part-0.arrow") && err.contains("episode 1"), "{err}");
}

#[test]
fn flipped_bytes_are_caught() {
    // In a limbic-written file: the checksum catches a flipped number.
    let (_dir, path) = written();
    let file = path.join("data/2/part-0.arrow");
    let mut bytes = fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    fs::write(&file, &bytes).unwrap();
    let err = read_error(&path);
    assert!(err.contains("data/2/part-0.arrow") && err.contains("episode 2") && err.contains("checksum"), "{err}");

    // In a Minari-written file (no checksum): a damaged footer is still an error.
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("cartpole-v1-v0"), dir.path());
    let file = dir.path().join("data/0/part-0.arrow");
    let mut bytes = fs::read(&file).unwrap();
    let end = bytes.len();
    for b in &mut bytes[end - 40..end - 10] {
        *b ^= 0xff;
    }
    fs::write(&file, &bytes).unwrap();
    let err = read_error(dir.path());
    assert!(err.contains("data/0/part-0.arrow") && err.contains("episode 0"), "{err}");
}

#[test]
fn missing_episode_names_its_folder() {
    let (_dir, path) = written();
    fs::remove_dir_all(path.join("data/1")).unwrap();
    let err = read_error(&path);
    assert!(err.contains("data/1") && err.contains("episode 1") && err.contains("missing"), "{err}");
}

#[test]
fn bad_metadata_names_the_file() {
    let (_dir, path) = written();
    let file = path.join("data/metadata.json");
    fs::write(&file, "{\"total_episodes\": 3").unwrap();
    let err = read_error(&path);
    assert!(err.contains("data/metadata.json") && err.contains("not valid JSON"), "{err}");

    let mut json: Json =
        serde_json::from_str(&fs::read_to_string(fixture("cartpole-v1-v0/data/metadata.json")).unwrap()).unwrap();
    json["total_steps"] = Json::from(7);
    let (_dir, path) = written();
    fs::write(path.join("data/metadata.json"), json.to_string()).unwrap();
    let err = read_error(&path);
    assert!(err.contains("total_steps"), "{err}");

    json["data_format"] = Json::from("parquet");
    fs::write(path.join("data/metadata.json"), json.to_string()).unwrap();
    let err = read_error(&path);
    assert!(err.contains("`parquet` backend") && err.contains("`arrow` and `hdf5`"), "{err}");
    // An arrow dataset that claims to be hdf5 has no main_data.hdf5: the file is named.
    json["data_format"] = Json::from("hdf5");
    fs::write(path.join("data/metadata.json"), json.to_string()).unwrap();
    let err = read_error(&path);
    assert!(err.contains("main_data.hdf5"), "{err}");

    let err = read_error(&path.join("nowhere"));
    assert!(err.contains("nowhere") && err.contains("does not exist"), "{err}");
}

#[test]
fn hdf5_round_trip_keeps_every_field() {
    for (env_id, n) in
        [("CartPole-v1", 3), ("Pendulum-v1", 1), ("MiniGrid-DoorKey-5x5-v0", 2), ("BabyAI-GoToLocal-v0", 2)]
    {
        let mut dataset = random_dataset(env_id, n);
        dataset.metadata.data_format = "hdf5".into();
        dataset.episodes[0].extra.insert("note".into(), Json::from("kept"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ds");
        dataset.write(&path, false).unwrap();
        assert!(path.join("data/main_data.hdf5").is_file() && !path.join("data/0").exists());
        let back = Dataset::read(&path).unwrap();
        assert_eq!(back.episodes, dataset.episodes, "{env_id}");
        assert_eq!(back.metadata.data_format, "hdf5");
        assert_eq!(back.metadata.total_steps, dataset.episodes.iter().map(Episode::len).sum::<usize>());
    }
}

#[test]
fn minari_written_hdf5_datasets_load() {
    check_fixture("cartpole-v1-hdf5-v0", "CartPole-v1", 3);
    check_fixture("minigrid-empty-5x5-hdf5-v0", "MiniGrid-Empty-5x5-v0", 1);
    check_fixture("babyai-gotolocal-hdf5-v0", "BabyAI-GoToLocal-v0", 2);
    let dataset = Dataset::read(&fixture("babyai-gotolocal-hdf5-v0")).unwrap();
    assert_eq!(dataset.metadata.data_format, "hdf5");
    let Some(Value::Text(mission)) = dataset.episodes[0].observations[0].get("mission") else { panic!("no mission") };
    assert!(mission.starts_with("go to the "), "{mission}");
}

#[test]
fn damaged_hdf5_names_the_file_and_episode() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("cartpole-v1-hdf5-v0"), dir.path());
    let file = dir.path().join("data/main_data.hdf5");
    let bytes = fs::read(&file).unwrap();
    fs::write(&file, &bytes[..bytes.len() / 3]).unwrap();
    let err = read_error(dir.path());
    assert!(err.contains("data/main_data.hdf5"), "{err}");
    // More episodes listed than the file holds.
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("cartpole-v1-hdf5-v0"), dir.path());
    let meta = dir.path().join("data/metadata.json");
    let mut json: Json = serde_json::from_str(&fs::read_to_string(&meta).unwrap()).unwrap();
    json["total_episodes"] = Json::from(4);
    fs::write(&meta, json.to_string()).unwrap();
    let err = read_error(dir.path());
    assert!(err.contains("main_data.hdf5") && err.contains("episode 3") && err.contains("episode_3"), "{err}");
}

#[test]
fn writing_is_atomic_and_never_overwrites_by_accident() {
    let (dir, path) = written();
    let before = Dataset::read(&path).unwrap();
    let other = random_dataset("CartPole-v1", 1);
    assert!(matches!(other.write(&path, false), Err(DatasetError::Exists(_))));
    // A bad episode fails the write: the old dataset stays whole and no temp folder is left.
    let mut bad = other.clone();
    bad.episodes[0].actions[0] = Value::Int(7);
    let err = bad.write(&path, true).unwrap_err().to_string();
    assert!(err.contains("episode 0") && err.contains("action 0"), "{err}");
    assert_eq!(Dataset::read(&path).unwrap(), before);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "only the dataset folder remains");
    other.write(&path, true).unwrap();
    assert_eq!(Dataset::read(&path).unwrap().episodes, other.episodes);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn summary_counts_returns_and_successes() {
    let dataset = random_dataset("CartPole-v1", 4);
    let s = dataset.summary();
    let returns: Vec<f64> = dataset.episodes.iter().map(|e| e.rewards.len() as f64).collect();
    assert_eq!((s.episodes, s.steps, s.successes), (4, returns.iter().sum::<f64>() as usize, None));
    assert_eq!(s.return_mean, returns.iter().sum::<f64>() / 4.0);
    assert_eq!(
        (s.return_min, s.return_max),
        (returns.iter().copied().fold(f64::MAX, f64::min), returns.iter().copied().fold(f64::MIN, f64::max))
    );
    assert_eq!(dataset.first(2).episodes.len(), 2);
    // A success rate exists for goal tasks: episode 0 made to reach the goal, episode 1 to time out.
    let mut grid = random_dataset("MiniGrid-Empty-5x5-v0", 2);
    for (episode, reached) in grid.episodes.iter_mut().zip([true, false]) {
        let last = episode.len() - 1;
        (episode.terminations[last], episode.truncations[last]) = (reached, !reached);
        episode.rewards[last] = if reached { 0.5 } else { 0.0 };
    }
    assert_eq!(grid.summary().successes, Some(1));
}

#[test]
fn an_edited_number_in_any_metadata_is_caught() {
    let (_dir, path) = written();
    // The seed of an episode, a reference score: JSON stays valid, the checksums do not.
    let episode_meta = path.join("data/1/metadata.json");
    let text = fs::read_to_string(&episode_meta).unwrap();
    fs::write(&episode_meta, text.replace("\"seed\":1", "\"seed\":4")).unwrap();
    let err = read_error(&path);
    assert!(err.contains("data/1/metadata.json") && err.contains("episode 1") && err.contains("checksum"), "{err}");
    fs::write(&episode_meta, text).unwrap();

    let meta = path.join("data/metadata.json");
    let text = fs::read_to_string(&meta).unwrap();
    let edited = text.replace("\"total_episodes\":3", "\"total_episodes\":2");
    assert_ne!(edited, text);
    fs::write(&meta, edited).unwrap();
    let err = read_error(&path);
    assert!(err.contains("data/metadata.json") && err.contains("limbic_metadata_checksum"), "{err}");
    fs::write(&meta, text).unwrap();
    Dataset::read(&path).unwrap();
}

#[test]
fn episodes_that_do_not_fit_the_declared_spaces_are_refused() {
    // Metadata claiming one action for CartPole (no checksum, as a hand-edited file would be).
    let (_dir, path) = written();
    let meta = path.join("data/metadata.json");
    let mut json: Json = serde_json::from_str(&fs::read_to_string(&meta).unwrap()).unwrap();
    // A hand-edited file, its checksum and writer removed as the checksum error says.
    for key in ["limbic_metadata_checksum", "limbic_writer"] {
        json.as_object_mut().unwrap().remove(key);
    }
    json["action_space"] = Json::from(r#"{"type": "Discrete", "dtype": "int64", "start": 0, "n": 1}"#);
    fs::write(&meta, json.to_string()).unwrap();
    let err = read_error(&path);
    assert!(err.contains("part-0.arrow") && err.contains("action"), "{err}");
}

#[test]
fn force_replaces_a_dataset_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = random_dataset("CartPole-v1", 1);
    // A user's folder, a file, a dataset with a user's file in it: all refused, all kept.
    let folder = dir.path().join("mine");
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join("notes.txt"), "keep").unwrap();
    let file = dir.path().join("file");
    fs::write(&file, "keep").unwrap();
    let (_d, extended) = written();
    fs::write(extended.join("notes.txt"), "keep").unwrap();
    for (path, kept, found) in [
        (&folder, folder.join("notes.txt"), "a folder holding notes.txt"),
        (&file, file.clone(), "a file of 4 bytes"),
        (&extended, extended.join("notes.txt"), "a folder holding data, notes.txt"),
    ] {
        let err = dataset.write(path, true).unwrap_err();
        assert!(matches!(err, DatasetError::NotReplaceable { .. }), "{err}");
        assert!(err.to_string().contains(found) && err.to_string().contains("--force"), "{err}");
        assert_eq!(fs::read_to_string(kept).unwrap(), "keep");
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "nothing left behind");
    assert_eq!(fs::read_dir(extended.parent().unwrap()).unwrap().count(), 1);
}

#[test]
fn a_write_killed_between_its_renames_is_finished_by_the_next() {
    let (dir, path) = written();
    let before = Dataset::read(&path).unwrap();
    // Killed after moving the old dataset aside, before renaming the new one in.
    let (new, old) = (dir.path().join(".ds.limbic-new"), dir.path().join(".ds.limbic-old"));
    copy_tree(&path, &new);
    fs::rename(&path, &old).unwrap();
    // The next write of the dataset first puts the finished one in place, then replaces it.
    let mut grown = before.clone();
    grown.push(random_dataset("CartPole-v1", 1).episodes.remove(0)).unwrap();
    grown.write(&path, true).unwrap();
    assert_eq!(Dataset::read(&path).unwrap().episodes, grown.episodes);
    assert!(!new.exists() && !old.exists());
    // Killed while writing the new one: the half-written folder is removed.
    fs::create_dir_all(new.join("data/0")).unwrap();
    before.write(&path, true).unwrap();
    assert_eq!(Dataset::read(&path).unwrap(), before);
    assert!(!new.exists());
}
