//! The registry entries of `popgym.envs.ALL` (popgym 1.0.7): 14 families x Easy, Medium, Hard.
//!
//! Keyword arguments are those popgym's classes take: only the Easy classes that inherit their
//! family's constructor (`class RepeatPreviousEasy(RepeatPrevious): pass`) take any.

use super::deck::DeckType;
use super::{
    Autoencode, Battleship, CartPoleView, Concentration, CountRecall, Game, HigherLower, MaskedCartPole,
    MaskedPendulum, MineSweeper, MultiarmedBandit, PopGym, RepeatFirst, RepeatPrevious,
};
use crate::env::Env;
use crate::error::{EnvError, Result};
use crate::registry::{kwarg_bool, kwarg_f64, EnvSpec, Kwargs};
use serde_json::{json, Value as Json};

const LEVELS: [&str; 3] = ["Easy", "Medium", "Hard"];

/// Every POPGym id, in popgym's family order.
pub(crate) fn specs() -> Vec<EnvSpec> {
    let mut specs = Vec::new();
    for (level, name) in LEVELS.iter().enumerate() {
        let easy = level == 0;
        let id = |family: &str| format!("popgym-{family}{name}-v0");
        let decks = [1, 2, 3][level];
        specs.push(with_kwargs(
            EnvSpec::new(&id("Autoencode"), move |kw| boxed(Autoencode::new(count(kw, "num_decks", decks)?))),
            easy,
            &[("num_decks", json!(1), "decks to memorise")],
        ));
        let (decks, k) = [(1, 4), (2, 32), (3, 64)][level];
        specs.push(with_kwargs(
            EnvSpec::new(&id("RepeatPrevious"), move |kw| {
                boxed(RepeatPrevious::new(count(kw, "num_decks", decks)?, count(kw, "k", k)?)?)
            }),
            easy,
            &[
                ("num_decks", json!(1), "decks dealt (the episode length)"),
                ("k", json!(4), "name the suit of k cards ago"),
            ],
        ));
        let decks = [1, 8, 16][level];
        specs.push(EnvSpec::new(&id("RepeatFirst"), move |_| boxed(RepeatFirst::new(decks))));
        let (decks, deck_type) = [(1, "colors"), (2, "suits"), (4, "ranks")][level];
        specs.push(with_kwargs(
            EnvSpec::new(&id("CountRecall"), move |kw| {
                kwarg_f64(kw, "error_clamp", 0.5)?;
                boxed(CountRecall::new(count(kw, "num_decks", decks)?, deck_type_kwarg(kw, deck_type)?)?)
            }),
            easy,
            &[
                ("num_decks", json!(1), "decks dealt (the episode length)"),
                ("error_clamp", json!(0.5), "accepted as popgym accepts it; popgym never reads it"),
                ("deck_type", json!("colors"), "what is counted: colors, suits or ranks"),
            ],
        ));
        let length = [200, 400, 600][level];
        for (family, view) in
            [("PositionOnlyCartPole", CartPoleView::Position), ("VelocityOnlyCartpole", CartPoleView::Velocity)]
        {
            specs.push(with_kwargs(
                EnvSpec::new(&id(family), move |kw| {
                    let steps = count(kw, "max_episode_length", length)?;
                    boxed(MaskedCartPole::new(view, None, steps, kwarg_bool(kw, "sutton_barto_reward", false)?)?)
                }),
                easy,
                &[
                    ("max_episode_length", json!(200), "steps until truncation"),
                    ("sutton_barto_reward", json!(false), "CartPole's reward 0 per step (popgym then gives -1)"),
                ],
            ));
        }
        let sigma = [0.1, 0.2, 0.3][level];
        specs.push(EnvSpec::new(&id("NoisyPositionOnlyCartPole"), move |_| {
            boxed(MaskedCartPole::new(CartPoleView::Position, Some(sigma), 200, false)?)
        }));
        let length = [200, 150, 100][level];
        specs.push(with_kwargs(
            EnvSpec::new(&id("PositionOnlyPendulum"), move |kw| {
                boxed(MaskedPendulum::new(None, count(kw, "max_episode_length", length)?, kwarg_f64(kw, "g", 10.0)?)?)
            }),
            easy,
            &[
                ("max_episode_length", json!(200), "steps until truncation"),
                ("g", json!(10.0), "gravitational acceleration"),
            ],
        ));
        specs.push(EnvSpec::new(&id("NoisyPositionOnlyPendulum"), move |_| {
            boxed(MaskedPendulum::new(Some(sigma), 200, 10.0)?)
        }));
        let (arms, length) = [(10, 200), (20, 400), (30, 600)][level];
        specs.push(EnvSpec::new(&id("MultiarmedBandit"), move |_| boxed(MultiarmedBandit::new(arms, length)?)));
        specs.push(EnvSpec::new(&id("HigherLower"), move |_| boxed(HigherLower::new(decks_of(level)))));
        let size = [8, 10, 12][level];
        specs.push(EnvSpec::new(&id("Battleship"), move |_| boxed(Battleship::new(size, vec![2, 3, 3, 4])?)));
        let (decks, deck_type) = [(1, DeckType::Colors), (2, DeckType::Colors), (1, DeckType::Ranks)][level];
        specs.push(EnvSpec::new(&id("Concentration"), move |_| boxed(Concentration::new(decks, deck_type)?)));
        let difficulty = ["easy", "medium", "hard"][level];
        specs.push(EnvSpec::new(&id("MineSweeper"), move |_| boxed(MineSweeper::new(difficulty)?)));
    }
    specs
}

/// HigherLower's decks: 1, 2, 3.
fn decks_of(level: usize) -> usize {
    level + 1
}

fn boxed<G: Game + 'static>(game: G) -> Result<Box<dyn Env>> {
    Ok(Box::new(PopGym::new(game)))
}

/// Documents the keyword arguments, on the Easy level only.
fn with_kwargs(mut spec: EnvSpec, easy: bool, kwargs: &[(&'static str, Json, &'static str)]) -> EnvSpec {
    if easy {
        for (name, default, doc) in kwargs {
            spec = spec.kwarg(name, default.clone(), doc);
        }
    }
    spec
}

/// A positive integer kwarg, or its default.
fn count(kwargs: &Kwargs, key: &str, default: usize) -> Result<usize> {
    match kwargs.get(key) {
        None => Ok(default),
        Some(v) => v.as_u64().filter(|&n| n > 0).map(|n| n as usize).ok_or_else(|| EnvError::BadKwarg {
            key: key.into(),
            message: format!("expected a positive integer, got {v}"),
        }),
    }
}

/// The `deck_type` kwarg: colors, suits or ranks.
fn deck_type_kwarg(kwargs: &Kwargs, default: &str) -> Result<DeckType> {
    let value = kwargs.get("deck_type").map_or(Some(default), Json::as_str);
    value.and_then(DeckType::parse).ok_or_else(|| EnvError::BadKwarg {
        key: "deck_type".into(),
        message: format!("expected \"colors\", \"suits\" or \"ranks\", got {}", kwargs["deck_type"]),
    })
}
