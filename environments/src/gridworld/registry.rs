//! The MiniGrid and BabyAI ids, each a family with MiniGrid's registered kwargs, and the kwargs
//! reader.

use super::babyai::BabyAiEnv;
use super::envs;
use super::grid::Pos;
use super::minigrid::{GridConfig, GridEnv, MiniGrid, Task};
use super::view::MAX_VIEW_SIZE;
use crate::env::Env;
use crate::error::{EnvError, Result};
use crate::registry::{EnvSpec, Kwargs};
use serde_json::{json, Value as Json};
use std::ops::RangeInclusive;
use std::sync::LazyLock;

/// One keyword argument of a family: name, default and what it means.
pub(crate) struct Kwarg {
    pub name: &'static str,
    pub default: Json,
    pub doc: &'static str,
}

pub(crate) fn kwarg(name: &'static str, default: Json, doc: &'static str) -> Kwarg {
    Kwarg { name, default, doc }
}

/// A layout family: its kwargs (beyond `max_steps` and `agent_view_size`, which all have),
/// whether walls can be made transparent, and how to build it from its kwargs.
pub(crate) struct Family {
    pub kwargs: Vec<Kwarg>,
    pub see_through: SeeThrough,
    pub build: Build,
}

/// How a family is built: any gridworld, or a BabyAI level (whose concrete type the bot reads).
#[derive(Clone, Copy)]
pub(crate) enum Build {
    Grid(fn(&Args) -> Result<Box<dyn GridEnv>>),
    Level(fn(&Args) -> Result<Box<BabyAiEnv>>),
}

/// Whether a family lets `see_through_walls` be set (MiniGrid's constructors that do not pass
/// it to the base class themselves), or its fixed value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeeThrough {
    Fixed(bool),
    Settable,
}

impl Family {
    pub fn new(kwargs: Vec<Kwarg>, see_through: SeeThrough, build: fn(&Args) -> Result<Box<dyn GridEnv>>) -> Family {
        Family::with(kwargs, see_through, Build::Grid(build))
    }

    /// A BabyAI level class.
    pub fn level(kwargs: Vec<Kwarg>, see_through: SeeThrough, build: fn(&Args) -> Result<Box<BabyAiEnv>>) -> Family {
        Family::with(kwargs, see_through, Build::Level(build))
    }

    fn with(kwargs: Vec<Kwarg>, see_through: SeeThrough, build: Build) -> Family {
        let mut all = kwargs;
        all.push(kwarg("max_steps", Json::Null, "episode length before truncation (null: the family's default)"));
        all.push(kwarg("agent_view_size", json!(7), "side of the agent's square view (odd, 3 to 63)"));
        if see_through == SeeThrough::Settable {
            all.push(kwarg("see_through_walls", json!(false), "skip occlusion: walls and closed doors hide nothing"));
        }
        Family { kwargs: all, see_through, build }
    }
}

/// A family's kwargs after defaults, the id's kwargs and the caller's kwargs were merged.
pub(crate) struct Args {
    map: Kwargs,
    see_through: SeeThrough,
}

fn bad(key: &str, message: String) -> EnvError {
    EnvError::BadKwarg { key: key.into(), message }
}

impl Args {
    /// The kwarg's value (null if absent).
    pub fn get(&self, key: &str) -> &Json {
        self.map.get(key).unwrap_or(&Json::Null)
    }

    /// An integer kwarg within `range`, or `None` for null.
    pub fn optional_int(&self, key: &str, range: RangeInclusive<i64>) -> Result<Option<i64>> {
        match self.get(key) {
            Json::Null => Ok(None),
            _ => self.int(key, range).map(Some),
        }
    }

    /// An integer kwarg within `range`.
    pub fn int(&self, key: &str, range: RangeInclusive<i64>) -> Result<i64> {
        let v = self.get(key);
        match v.as_i64() {
            Some(n) if range.contains(&n) => Ok(n),
            _ => Err(bad(key, format!("expected an integer from {} to {}, got {v}", range.start(), range.end()))),
        }
    }

    pub fn flag(&self, key: &str) -> Result<bool> {
        let v = self.get(key);
        v.as_bool().ok_or_else(|| bad(key, format!("expected true or false, got {v}")))
    }

    pub fn text(&self, key: &str) -> Result<&str> {
        let v = self.get(key);
        v.as_str().ok_or_else(|| bad(key, format!("expected a string, got {v}")))
    }

    /// An `[x, y]` pair, or `None` for null.
    pub fn pos(&self, key: &str) -> Result<Option<Pos>> {
        let v = self.get(key);
        if v.is_null() {
            return Ok(None);
        }
        let coord = |c: &Json| c.as_i64().filter(|n| (0..=1 << 20).contains(n)).map(|n| n as i32);
        if let Some([x, y]) = v.as_array().map(Vec::as_slice) {
            if let (Some(x), Some(y)) = (coord(x), coord(y)) {
                return Ok(Some((x, y)));
            }
        }
        Err(bad(key, format!("expected null or a pair [x, y] of non-negative integers, got {v}")))
    }

    /// An `[x, y]` pair inside a `width` x `height` grid, or `None` for null.
    pub fn pos_within(&self, key: &str, width: i64, height: i64) -> Result<Option<Pos>> {
        match self.pos(key)? {
            Some((x, y)) if x as i64 >= width || y as i64 >= height => {
                Err(bad(key, format!("[{x}, {y}] is outside the {width}x{height} grid")))
            }
            pos => Ok(pos),
        }
    }

    /// The shared settings: `max_steps` (null: `default_max_steps`), `agent_view_size` and, where
    /// the family allows it, `see_through_walls`.
    pub fn config(&self, width: i64, height: i64, default_max_steps: i64) -> Result<GridConfig> {
        let max_steps = match self.get("max_steps") {
            Json::Null => default_max_steps,
            _ => self.int("max_steps", 1..=u32::MAX as i64)?,
        };
        let see_through_walls = match self.see_through {
            SeeThrough::Fixed(value) => value,
            SeeThrough::Settable => self.flag("see_through_walls")?,
        };
        Ok(GridConfig {
            width: width as usize,
            height: height as usize,
            max_steps: max_steps.min(u32::MAX as i64) as u32,
            see_through_walls,
            agent_view_size: self.int("agent_view_size", 3..=MAX_VIEW_SIZE as i64)? as usize,
        })
    }
}

/// Boxes a task as a registry-ready environment.
pub(crate) fn boxed<T: Task>(task: T, config: GridConfig) -> Result<Box<dyn GridEnv>> {
    Ok(Box::new(MiniGrid::new(task, config)?))
}

/// One registered id: its family and the kwargs MiniGrid registers it with.
struct Entry {
    id: String,
    family: Family,
    preset: Json,
}

/// Every MiniGrid id this crate implements, in MiniGrid's families.
static TABLE: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    use envs::*;
    let mut ids: Vec<Entry> = Vec::new();
    let mut add = |id: &str, family: fn() -> Family, preset: Json| {
        ids.push(Entry { id: id.to_string(), family: family(), preset })
    };
    for (name, preset) in [
        ("5x5", json!({"size": 5})),
        ("Random-5x5", json!({"size": 5, "agent_start_pos": null})),
        ("6x6", json!({"size": 6})),
        ("Random-6x6", json!({"size": 6, "agent_start_pos": null})),
        ("8x8", json!({})),
        ("16x16", json!({"size": 16})),
    ] {
        add(&format!("MiniGrid-Empty-{name}-v0"), empty::family, preset);
    }
    for size in [5, 6, 8, 16] {
        add(&format!("MiniGrid-DoorKey-{size}x{size}-v0"), doorkey::family, json!({"size": size}));
    }
    add("MiniGrid-FourRooms-v0", fourrooms::family, json!({}));
    add("MiniGrid-Unlock-v0", unlock::unlock_family, json!({}));
    add("MiniGrid-UnlockPickup-v0", unlock::unlock_pickup_family, json!({}));
    add("MiniGrid-BlockedUnlockPickup-v0", unlock::blocked_unlock_pickup_family, json!({}));
    for (size, rows) in [(3, 1), (3, 2), (3, 3), (4, 3), (5, 3), (6, 3)] {
        let preset = json!({"room_size": size, "num_rows": rows});
        add(&format!("MiniGrid-KeyCorridorS{size}R{rows}-v0"), keycorridor::family, preset);
    }
    for (name, min, max, room) in [("N2-S4-v0", 2, 2, 4), ("N4-S5-v1", 4, 4, 5), ("N6-v0", 6, 6, 10)] {
        let preset = json!({"minNumRooms": min, "maxNumRooms": max, "maxRoomSize": room});
        add(&format!("MiniGrid-MultiRoom-{name}"), multiroom::family, preset);
    }
    // MiniGrid keeps this legacy id at 6 rooms; -v1 is the 4-room version.
    add(
        "MiniGrid-MultiRoom-N4-S5-v0",
        multiroom::family,
        json!({"minNumRooms": 6, "maxNumRooms": 6, "maxRoomSize": 5}),
    );
    for size in [7, 9, 11, 13] {
        add(&format!("MiniGrid-MemoryS{size}-v0"), memory::family, json!({"size": size}));
    }
    for size in [13, 17] {
        add(&format!("MiniGrid-MemoryS{size}Random-v0"), memory::family, json!({"size": size, "random_length": true}));
    }
    for size in [5, 6, 7] {
        add(&format!("MiniGrid-LavaGapS{size}-v0"), lavagap::family, json!({"size": size}));
    }
    for (kind, obstacle) in [("Lava", "lava"), ("Simple", "wall")] {
        for (size, n) in [(9, 1), (9, 2), (9, 3), (11, 5)] {
            let preset = json!({"size": size, "num_crossings": n, "obstacle_type": obstacle});
            add(&format!("MiniGrid-{kind}CrossingS{size}N{n}-v0"), crossing::family, preset);
        }
    }
    add("MiniGrid-DistShift1-v0", distshift::family, json!({"strip2_row": 2}));
    add("MiniGrid-DistShift2-v0", distshift::family, json!({"strip2_row": 5}));
    add("MiniGrid-RedBlueDoors-6x6-v0", redbluedoors::family, json!({"size": 6}));
    add("MiniGrid-RedBlueDoors-8x8-v0", redbluedoors::family, json!({}));
    add("MiniGrid-LockedRoom-v0", lockedroom::family, json!({}));
    add("MiniGrid-GoToDoor-5x5-v0", gotodoor::family, json!({}));
    add("MiniGrid-GoToDoor-6x6-v0", gotodoor::family, json!({"size": 6}));
    add("MiniGrid-GoToDoor-8x8-v0", gotodoor::family, json!({"size": 8}));
    add("MiniGrid-GoToObject-6x6-N2-v0", gotoobject::family, json!({}));
    add("MiniGrid-GoToObject-8x8-N2-v0", gotoobject::family, json!({"size": 8, "numObjs": 2}));
    add("MiniGrid-PutNear-6x6-N2-v0", putnear::family, json!({}));
    add("MiniGrid-PutNear-8x8-N3-v0", putnear::family, json!({"size": 8, "numObjs": 3}));
    add("MiniGrid-Fetch-5x5-N2-v0", fetch::family, json!({"size": 5, "numObjs": 2}));
    add("MiniGrid-Fetch-6x6-N2-v0", fetch::family, json!({"size": 6, "numObjs": 2}));
    add("MiniGrid-Fetch-8x8-N3-v0", fetch::family, json!({}));
    for (name, preset) in [
        ("5x5", json!({"size": 5, "n_obstacles": 2})),
        ("Random-5x5", json!({"size": 5, "agent_start_pos": null, "n_obstacles": 2})),
        ("6x6", json!({"size": 6, "n_obstacles": 3})),
        ("Random-6x6", json!({"size": 6, "agent_start_pos": null, "n_obstacles": 3})),
        ("8x8", json!({})),
        ("16x16", json!({"size": 16, "n_obstacles": 8})),
    ] {
        add(&format!("MiniGrid-Dynamic-Obstacles-{name}-v0"), dynamic_obstacles::family, preset);
    }
    for (name, key_in_box, blocked) in [("1Dl", false, false), ("1Dlh", true, false), ("1Dlhb", true, true)] {
        let preset = json!({"key_in_box": key_in_box, "blocked": blocked});
        add(&format!("MiniGrid-ObstructedMaze-{name}-v0"), obstructed_maze::one_door_family, preset);
    }
    let maze = |room: [i32; 2], key_in_box: bool, blocked: bool, quarters: i32, visited: i32| {
        json!({"agent_room": room, "key_in_box": key_in_box, "blocked": blocked,
               "num_quarters": quarters, "num_rooms_visited": visited})
    };
    let mazes = [
        ("2Dl", maze([2, 1], false, false, 1, 4)),
        ("2Dlh", maze([2, 1], true, false, 1, 4)),
        ("2Dlhb", maze([2, 1], true, true, 1, 4)),
        ("1Q", maze([1, 1], true, true, 1, 5)),
        ("2Q", maze([2, 1], true, true, 2, 11)),
        ("Full", json!({})),
    ];
    for (name, preset) in &mazes {
        add(&format!("MiniGrid-ObstructedMaze-{name}-v0"), obstructed_maze::full_family, preset.clone());
    }
    // MiniGrid registers -v1 (keys placed after both doors) only for these four.
    for (name, preset) in mazes.iter().filter(|(n, _)| !n.starts_with("2Dl") || *n == "2Dlhb") {
        add(&format!("MiniGrid-ObstructedMaze-{name}-v1"), obstructed_maze::full_v1_family, preset.clone());
    }
    add("MiniGrid-Playground-v0", playground::family, json!({}));
    for (id, family, preset) in super::babyai::registry::entries() {
        add(&id, family, preset);
    }
    ids
});

/// The ids MiniGrid 3.2.0 registers that cannot be made, with the reason.
const NOT_MADE: [&str; 6] = [
    "MiniGrid-WFC-MazeSimple-v0",
    "MiniGrid-WFC-DungeonMazeScaled-v0",
    "MiniGrid-WFC-RoomsFabric-v0",
    "MiniGrid-WFC-ObstaclesBlackdots-v0",
    "MiniGrid-WFC-ObstaclesAngular-v0",
    "MiniGrid-WFC-ObstaclesHogs3-v0",
];

/// Why `id` is registered by MiniGrid but not here, if it is one of those.
pub(crate) fn not_made(id: &str) -> Option<EnvError> {
    NOT_MADE.contains(&id).then(|| {
        EnvError::Unsupported(format!(
            "`{id}` is registered by MiniGrid 3.2.0 but cannot be made there either: its wave function \
             collapse pattern images (minigrid/envs/wfc/patterns/*.png) are missing from the minigrid 3.2.0 \
             package, so limbic leaves the six MiniGrid-WFC-* ids out"
        ))
    })
}

/// Builds the MiniGrid env registered as `id` with the caller's `kwargs` over its own, with typed
/// access to its state (what `make` does, without the wrappers).
pub fn make(id: &str, kwargs: &Kwargs) -> Result<Box<dyn GridEnv>> {
    entry(id)?.build(kwargs)
}

/// Builds the BabyAI level registered as `id` (what [`make`] does, with the level's type).
pub fn make_level(id: &str, kwargs: &Kwargs) -> Result<Box<BabyAiEnv>> {
    let entry = entry(id)?;
    match entry.family.build {
        Build::Level(build) => build(&entry.args(kwargs)?),
        Build::Grid(_) => Err(EnvError::Unsupported(format!("`{id}` is not a BabyAI level"))),
    }
}

fn entry(id: &str) -> Result<&'static Entry> {
    match TABLE.iter().find(|e| e.id == id) {
        Some(entry) => Ok(entry),
        // The crate registry's error names the nearest ids.
        None => Err(crate::registry::spec(id)
            .err()
            .unwrap_or_else(|| EnvError::UnknownEnv { id: id.to_string(), suggestions: vec![] })),
    }
}

/// Every implemented MiniGrid and BabyAI id.
pub fn ids() -> Vec<&'static str> {
    TABLE.iter().map(|e| e.id.as_str()).collect()
}

impl Entry {
    fn build(&self, kwargs: &Kwargs) -> Result<Box<dyn GridEnv>> {
        let args = self.args(kwargs)?;
        match self.family.build {
            Build::Grid(build) => build(&args),
            Build::Level(build) => Ok(build(&args)?),
        }
    }

    /// The kwargs: the family's defaults, this id's, then the caller's.
    fn args(&self, kwargs: &Kwargs) -> Result<Args> {
        let valid: Vec<String> = self.family.kwargs.iter().map(|k| k.name.to_string()).collect();
        if let Some(key) = kwargs.keys().find(|k| !valid.contains(k)) {
            return Err(EnvError::UnknownKwarg { id: self.id.clone(), key: key.clone(), valid });
        }
        let mut map: Kwargs = self.family.kwargs.iter().map(|k| (k.name.to_string(), self.default(k))).collect();
        map.extend(kwargs.clone());
        Ok(Args { map, see_through: self.family.see_through })
    }

    /// The kwarg's value for this id: MiniGrid's registered value, else the family default.
    fn default(&self, k: &Kwarg) -> Json {
        self.preset.get(k.name).cloned().unwrap_or_else(|| k.default.clone())
    }
}

/// The registry entries of every MiniGrid id (no TimeLimit: MiniGrid truncates by itself).
pub(crate) fn specs() -> Vec<EnvSpec> {
    (0..TABLE.len())
        .map(|index| {
            let entry = &TABLE[index];
            let mut spec = EnvSpec::new(&entry.id, move |kw: &Kwargs| {
                let env: Box<dyn Env> = TABLE[index].build(kw)?;
                Ok(env)
            });
            for k in &entry.family.kwargs {
                spec = spec.kwarg(k.name, entry.default(k), k.doc);
            }
            spec
        })
        .collect()
}
