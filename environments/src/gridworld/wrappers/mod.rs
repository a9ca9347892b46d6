//! MiniGrid's observation wrappers (`minigrid/wrappers.py`), one per file, each generic over a
//! [`GridEnv`](super::GridEnv) and one itself.

mod rgb_img_obs;
mod rgb_img_partial_obs;

pub use rgb_img_obs::{FullGrid, Picture, PixelObs, RGBImgObs, DEFAULT_TILE_SIZE};
pub use rgb_img_partial_obs::{AgentView, RGBImgPartialObs};
