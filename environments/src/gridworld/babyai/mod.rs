//! BabyAI (Chevalier-Boisvert et al., ICLR 2019): levels with instructions in the Baby Language,
//! exact to MiniGrid 3.2.0's `envs/babyai` from the same seed, and the BabyAI bot.
//!
//! - [`instr`]: object descriptions, instructions, their surface form and a parser, the
//!   verifier;
//! - [`objects`]: object identity (which red ball is which), as the verifier and bot need it;
//! - [`level`]: [`Level`], a BabyAI level as a gridworld task (rejection sampling, the verifier
//!   after each step, the step limit from the instruction);
//! - [`levelgen`]: the generator of random instructions (GoToSeq, PickupLoc, Synth*, boss
//!   levels); [`levels`]: the other level classes; [`registry`]: the `BabyAI-*` ids;
//! - [`bot`]: MiniGrid's `BabyAIBot`, the scripted teacher;
//! - [`vocab`]: the vocabulary and tokenizer for instruction-conditioned policies.
//!
//! ```
//! use limbic_environments::{make, Env, Kwargs, Value};
//! let mut env = make("BabyAI-GoToRedBall-v0", &Kwargs::new()).unwrap();
//! let (obs, _) = env.reset(Some(0), &Default::default()).unwrap();
//! assert_eq!(obs.get("mission"), Some(&Value::Text("go to the red ball".into())));
//! ```

pub mod bot;
pub mod instr;
pub mod level;
pub mod levelgen;
pub mod levels;
pub mod objects;
pub mod registry;
pub mod vocab;

pub use bot::{Bot, BotError};
pub use instr::{parse, Instr, ObjDesc, Status};
pub use level::Level;
pub use registry::BabyAiEnv;
