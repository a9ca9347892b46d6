//! The cases listed by `scripts/compare_gridworld_frames.py` (`cases.json`), rendered by limbic.
//! Shared by the `gridworld_render` test and the `render_gridworld` example.

use limbic_environments::gridworld::object::{Color, Obj, ObjType};
use limbic_environments::gridworld::{self, render, GridEnv};
use limbic_environments::{Env, Frame, Kwargs, Options, Value};

/// One case: an env, a seed, actions after the reset, objects put into the grid afterwards
/// (`[x, y, type, colour, state]`, MiniGrid's encoding) and the picture to draw.
#[derive(serde::Deserialize)]
pub struct Case {
    pub name: String,
    pub id: String,
    #[serde(default)]
    pub kwargs: Kwargs,
    pub seed: u64,
    pub actions: Vec<i64>,
    pub puts: Vec<[u8; 5]>,
    /// "render" (`env.render()`), "full" (`get_frame(highlight, tile_size)`) or "pov".
    pub view: String,
    pub tile_size: usize,
    pub highlight: bool,
    #[allow(dead_code)] // read by the test, not by the example
    pub hash: String,
}

#[derive(serde::Deserialize)]
pub struct Cases {
    pub cases: Vec<Case>,
}

/// An object from MiniGrid's encoding.
fn decode([kind, color, state]: [u8; 3]) -> Result<Obj, String> {
    use ObjType::*;
    let kinds = [Unseen, Empty, Wall, Floor, Door, Key, Ball, Box, Goal, Lava, Agent];
    let colors = [Color::Red, Color::Green, Color::Blue, Color::Purple, Color::Yellow, Color::Grey];
    let kind = *kinds.get(kind as usize).ok_or(format!("object type {kind}"))?;
    let color = *colors.get(color as usize).ok_or(format!("colour {color}"))?;
    Ok(Obj { kind, color, state, contains: None })
}

impl Case {
    /// limbic's picture of this case.
    pub fn render(&self) -> Result<Frame, String> {
        let fail = |e: limbic_environments::EnvError| format!("{}: {e}", self.name);
        let mut env = gridworld::make(&self.id, &self.kwargs).map_err(fail)?;
        env.reset(Some(self.seed), &Options::new()).map_err(fail)?;
        for &a in &self.actions {
            env.step(&Value::Int(a)).map_err(fail)?;
        }
        if self.view == "render" {
            return env.render().map_err(fail);
        }
        let mut world = env.world().clone();
        for &[x, y, kind, color, state] in &self.puts {
            world.grid.set((x as i32, y as i32), decode([kind, color, state])?);
        }
        match self.view.as_str() {
            "full" => render::render_full(&world, env.config(), self.tile_size, self.highlight),
            "pov" => render::render_pov(&world, env.config(), self.tile_size),
            other => return Err(format!("{}: unknown view {other}", self.name)),
        }
        .map_err(fail)
    }
}
