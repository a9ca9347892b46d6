//! Run configs: defaults, presets, the override order, and clear errors for bad input.

use limbic::config::{resolve, Layer, RunConfig};
use limbic::presets::PRESETS;
use serde_json::{json, Map, Value as Json};
use std::path::PathBuf;
use std::process::Command;

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn flags(values: Json) -> Layer {
    Layer::new("command line", values.as_object().unwrap().clone()).unwrap()
}

fn error_of<T: std::fmt::Debug>(result: anyhow::Result<T>) -> String {
    format!("{:#}", result.unwrap_err())
}

#[test]
fn every_field_has_a_default() {
    let from_empty: RunConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(from_empty, RunConfig::default());
    assert_eq!((from_empty.env.as_str(), from_empty.algo.as_str()), ("CartPole-v1", "ppo"));
    assert!(from_empty.params.as_object().unwrap().is_empty());
    from_empty.validate().unwrap();
}

#[test]
fn layers_override_in_order_defaults_preset_file_flags_set() {
    let tmp = tempfile::tempdir().unwrap();
    let path = file(&tmp, "run.json", r#"{"num_envs": 4, "seed": 3, "params": {"learning_rate": 0.01, "gamma": 0.9}}"#);
    let config = resolve(vec![
        Layer::from_file(&path).unwrap(),
        flags(json!({"num_envs": 2})),
        Layer::from_assignments("--set", &["params.learning_rate=0.02".into()]).unwrap(),
    ])
    .unwrap();
    // Defaults: PPO on CartPole-v1, so the ppo/CartPole-v1 preset applies under the file.
    assert_eq!(config.total_steps, 100_000); // the preset's
    assert_eq!(config.seed, 3); // the file's
    assert_eq!(config.num_envs, 2); // the flag's over the file's 4 and the preset's 8
    let params = config.params.as_object().unwrap();
    assert_eq!(params["learning_rate"], json!(0.02)); // --set over the file over the preset
    assert_eq!(params["gamma"], json!(0.9)); // the file's over the preset's 0.98
    assert_eq!(params["n_steps"], json!(32)); // the preset's, kept by the merge
    assert_eq!(config.eval_every, RunConfig::default().eval_every); // untouched default
}

#[test]
fn the_preset_follows_the_env_and_algo_wherever_they_are_set() {
    let tmp = tempfile::tempdir().unwrap();
    let path = file(&tmp, "run.json", r#"{"env": "Acrobot-v1"}"#);
    let config = resolve(vec![Layer::from_file(&path).unwrap(), flags(json!({"algo": "dqn"}))]).unwrap();
    assert_eq!(config.total_steps, 100_000);
    assert_eq!(config.params["target_update_interval"], json!(250));
    // No preset for the random baseline: plain defaults.
    let config = resolve(vec![flags(json!({"algo": "random"}))]).unwrap();
    assert_eq!(config.params, json!({}));
    assert_eq!(config.num_envs, RunConfig::default().num_envs);
}

#[test]
fn minigrid_ids_without_their_own_preset_take_the_family_preset() {
    let own = RunConfig::for_env("MiniGrid-DoorKey-5x5-v0", "ppo").unwrap();
    let family = RunConfig::for_env("MiniGrid-DoorKey-8x8-v0", "ppo").unwrap();
    assert_eq!((family.num_envs, &family.params), (own.num_envs, &own.params));
    assert_eq!(family.params["learning_rate"], json!(0.001));
    // Empty-8x8 keeps its own preset; other families and algorithms have no fallback.
    assert_eq!(RunConfig::for_env("MiniGrid-Empty-8x8-v0", "ppo").unwrap().num_envs, 8);
    assert_eq!(RunConfig::for_env("MiniGrid-DoorKey-8x8-v0", "dqn").unwrap().params, json!({}));
}

#[test]
fn popgym_ids_train_with_a_gru_over_the_previous_action_and_a_first_step_flag() {
    use limbic_environments::wrappers::WrapperSpec;
    let config = RunConfig::for_env("popgym-RepeatPreviousEasy-v0", "ppo").unwrap();
    assert_eq!(config.env_wrappers, [WrapperSpec::PreviousAction, WrapperSpec::Antialias]);
    assert_eq!(config.policy.memory.as_ref().map(|m| m.kind()), Some("gru"));
    // Discrete(4) cards, the previous Discrete(4) action and the first-step flag, one-hot.
    let env = limbic::train_envs::training_env(&config).unwrap();
    assert_eq!(env.flat_space().flat_dim().unwrap(), 4 + 4 + 2);
    let typo = json!({"env_wrappers": [{"kind": "previous_actions"}]});
    let bad = error_of(Layer::new("command line", typo.as_object().unwrap().clone()));
    assert!(bad.contains("unknown variant `previous_actions`, expected one of `previous_action`"), "{bad}");
}

#[test]
fn an_unknown_key_names_the_file_and_the_valid_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let path = file(&tmp, "typo.json", "{\n  \"seed\": 1,\n  \"lr\": 0.001\n}");
    let message = error_of(Layer::from_file(&path));
    assert!(message.contains("typo.json"), "{message}");
    assert!(message.contains("unknown field `lr`"), "{message}");
    assert!(message.contains("expected one of `env`, `env_kwargs`, `env_wrappers`, `algo`"), "{message}");
    assert!(message.contains("`params`") && message.contains("line 3"), "{message}");

    let message = error_of(Layer::from_assignments("--set", &["total_step=5".into()]));
    assert!(message.contains("--set") && message.contains("unknown field `total_step`"), "{message}");
}

#[test]
fn bad_values_are_refused_by_name() {
    let cases = [
        (json!({"num_envs": 0}), "`num_envs` must be at least 1"),
        (json!({"eval_episodes": 0}), "`eval_episodes` must be at least 1"),
        (
            json!({"env": "CartPole-v9"}),
            "unknown environment id `CartPole-v9`; did you mean CartPole-v0 or CartPole-v1",
        ),
        (
            json!({"algo": "ppo2"}),
            "unknown algorithm `ppo2` (did you mean ppo?); registered: ppo, dqn, sac, dreamer, bc, sqil, option-critic, manager-worker, random",
        ),
        (json!({"params": [1, 2]}), "`params` must be a JSON object"),
        (json!({"env_kwargs": {"max_episode_steps": -3}}), "max_episode_steps"),
    ];
    for (values, expected) in cases {
        let message = error_of(resolve(vec![flags(values.clone())]));
        assert!(message.contains(expected), "{values}: {message}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = file(&tmp, "types.json", r#"{"num_envs": "eight"}"#);
    let message = error_of(Layer::from_file(&path));
    assert!(message.contains("types.json") && message.contains("invalid type: string \"eight\""), "{message}");
    let message = error_of(Layer::from_assignments("--set", &["novalue".into()]));
    assert!(message.contains("expected key=value"), "{message}");
}

/// The hyperparameter names of each learner (Stable-Baselines3's).
fn vocabulary(algo: &str) -> Vec<&'static str> {
    match algo {
        // The hierarchies' own parameters come beside PPO's.
        "option-critic" | "manager-worker" => vocabulary("ppo"),
        "ppo" => vec![
            "learning_rate",
            "n_steps",
            "batch_size",
            "n_epochs",
            "gamma",
            "gae_lambda",
            "clip_range",
            "ent_coef",
            "vf_coef",
            "max_grad_norm",
            "normalize_obs",
            "normalize_reward",
            "anneal_lr",
            "anneal_clip",
            "net_arch",
            "activation",
        ],
        "dqn" => vec![
            "learning_rate",
            "buffer_size",
            "learning_starts",
            "batch_size",
            "tau",
            "gamma",
            "train_freq",
            "gradient_steps",
            "target_update_interval",
            "exploration_fraction",
            "exploration_initial_eps",
            "exploration_final_eps",
            "n_step",
            "double_q",
            "net_arch",
        ],
        "sac" => vec![
            "learning_rate",
            "buffer_size",
            "learning_starts",
            "batch_size",
            "tau",
            "gamma",
            "train_freq",
            "gradient_steps",
            "ent_coef",
            "net_arch",
        ],
        "dreamer" => vec![
            "world_model",
            "buffer_size",
            "batch_size",
            "seq_len",
            "train_ratio",
            "learning_starts",
            "horizon",
            "gamma",
            "lambda",
            "entropy_coef",
            "units",
            "layers",
            "actor_lr",
            "critic_lr",
            "max_grad_norm",
            "slow_critic_fraction",
            "slowreg",
            "return_norm_decay",
            "imag_starts",
        ],
        other => panic!("no vocabulary for {other}"),
    }
}

#[test]
fn every_preset_resolves_with_the_full_parameter_set() {
    assert_eq!(PRESETS.len(), 21);
    for (algo, env, text) in PRESETS {
        let raw: Map<String, Json> = serde_json::from_str(text).unwrap();
        assert!(!raw.contains_key("env") && !raw.contains_key("algo"), "{algo}/{env} must not set env or algo");
        let config = RunConfig::for_env(env, algo).unwrap();
        let keys: Vec<&str> = config.params.as_object().unwrap().keys().map(String::as_str).collect();
        // Every preset writes out SB3's whole vocabulary (so it does not depend on limbic's
        // defaults), and names nothing the algorithm does not know.
        for key in vocabulary(algo) {
            assert!(keys.contains(&key), "{algo}/{env} leaves out `{key}`");
        }
        let defaults = (limbic::config::algorithms().get(algo).unwrap().defaults)();
        for key in &keys {
            assert!(defaults.get(key).is_some(), "{algo} has no parameter `{key}` (preset {env})");
        }
    }
    // Family presets too.
    for (algo, prefix, text) in limbic::presets::FAMILY_PRESETS {
        let env = match *prefix {
            "MiniGrid-Memory" => "MiniGrid-MemoryS7-v0",
            "BabyAI-" => "BabyAI-GoToLocal-v0",
            "MiniGrid-" => "MiniGrid-Empty-5x5-v0",
            "popgym-" => "popgym-RepeatFirstEasy-v0",
            other => panic!("no example env for the family preset `{other}`"),
        };
        assert!(env.starts_with(prefix) && serde_json::from_str::<Map<String, Json>>(text).is_ok());
        RunConfig::for_env(env, algo).unwrap().validate().unwrap();
    }
    let cartpole = RunConfig::for_env("CartPole-v1", "ppo").unwrap();
    assert_eq!((cartpole.num_envs, cartpole.params["n_epochs"].clone()), (8, json!(20)));
}

#[test]
fn print_config_shows_the_resolved_config() {
    let out = Command::new(env!("CARGO_BIN_EXE_limbic"))
        .args(["train", "--print-config", "--env", "Acrobot-v1", "--seed", "4", "--set", "params.gamma=0.95"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config: RunConfig = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((config.env.as_str(), config.seed, config.num_envs), ("Acrobot-v1", 4, 16));
    assert_eq!(config.params["gamma"], json!(0.95));
    assert_eq!(config.params["n_steps"], json!(256));
}

#[test]
fn the_command_line_reports_a_bad_config_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = file(&tmp, "bad.json", r#"{"steps": 10}"#);
    let out =
        Command::new(env!("CARGO_BIN_EXE_limbic")).arg("train").arg(&path).arg("--print-config").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json") && stderr.contains("unknown field `steps`"), "{stderr}");
}
