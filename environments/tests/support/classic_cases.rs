//! The cases listed by `scripts/compare_classic_frames.py` (`states.json`), rendered by limbic.
//! Shared by the `render_classic` test and example.

use limbic_environments::render::classic;
use limbic_environments::Frame;

/// One case of `states.json`: a name, a Gymnasium env id, its state and (Pendulum) last torque.
#[derive(serde::Deserialize)]
pub struct Case {
    pub name: String,
    pub env: String,
    pub state: Vec<f64>,
    pub last_u: Option<f64>,
}

/// `states.json`: the cases and the per-channel tolerance used to compare frames.
#[derive(serde::Deserialize)]
pub struct Cases {
    #[allow(dead_code)] // read by the test, not by the example
    pub tolerance: u8,
    pub cases: Vec<Case>,
}

impl Case {
    /// limbic's picture of this case, as Gymnasium's `env.render()` would draw it.
    pub fn render(&self) -> Result<Frame, String> {
        let four = || <[f64; 4]>::try_from(self.state.as_slice()).map_err(|_| format!("{}: 4 values", self.name));
        let first = *self.state.first().ok_or_else(|| format!("{}: empty state", self.name))?;
        Ok(match self.env.as_str() {
            "CartPole-v1" => classic::cartpole(&four()?),
            "MountainCar-v0" => classic::mountain_car(first, 0.5),
            "MountainCarContinuous-v0" => classic::mountain_car(first, 0.45),
            "Acrobot-v1" => classic::acrobot(&four()?),
            "Pendulum-v1" => classic::pendulum(first, self.last_u),
            other => return Err(format!("{}: unknown env {other}", self.name)),
        })
    }
}
