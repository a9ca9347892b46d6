//! The `BabyAI-*` ids MiniGrid 3.2.0 registers, each a level class with its registered kwargs,
//! and how each class is built from kwargs.

use super::instr::parse;
use super::level::{Level, Mission};
use super::levelgen::{ActionKind, InstrKind, LevelGen};
use super::levels::{goto, open, other, pickup, putnext, unlock};
use super::vocab;
use crate::error::{EnvError, Result};
use crate::gridworld::registry::{kwarg, Args, Family, Kwarg, SeeThrough};
use crate::gridworld::{Color, MiniGrid, ObjType, Rooms, COLOR_NAMES};
use serde_json::{json, Value as Json};

/// A BabyAI env: MiniGrid's world and view with a level as its task.
pub type BabyAiEnv = MiniGrid<Level>;

/// An id, its family and the kwargs MiniGrid registers it with.
pub(crate) type Registered = (String, fn() -> Family, Json);

/// Every BabyAI id with its family and MiniGrid's registered kwargs, in MiniGrid's order.
pub(crate) fn entries() -> Vec<Registered> {
    let mut out: Vec<Registered> = Vec::new();
    let mut add = |name: &str, family: fn() -> Family, preset: Json| {
        out.push((format!("BabyAI-{name}"), family, preset));
    };
    add("GoToRedBallGrey-v0", go_to_red_ball_grey, json!({}));
    add("GoToRedBall-v0", go_to_red_ball, json!({}));
    add("GoToRedBallNoDists-v0", go_to_red_ball_no_dists, json!({}));
    add("GoToObj-v0", go_to_obj, json!({}));
    add("GoToObjS4-v0", go_to_obj, json!({"room_size": 4}));
    add("GoToObjS6-v1", go_to_obj, json!({"room_size": 6}));
    add("GoToLocal-v0", go_to_local, json!({}));
    for (size, dists) in
        [(5, 2), (6, 2), (6, 3), (6, 4), (7, 4), (7, 5), (8, 2), (8, 3), (8, 4), (8, 5), (8, 6), (8, 7)]
    {
        add(&format!("GoToLocalS{size}N{dists}-v0"), go_to_local, json!({"room_size": size, "num_dists": dists}));
    }
    add("GoTo-v0", go_to, json!({}));
    add("GoToOpen-v0", go_to, json!({"doors_open": true}));
    add("GoToObjMaze-v0", go_to, json!({"num_dists": 1, "doors_open": false}));
    add("GoToObjMazeOpen-v0", go_to, json!({"num_dists": 1, "doors_open": true}));
    add("GoToObjMazeS4R2-v0", go_to, json!({"num_dists": 1, "room_size": 4, "num_rows": 2, "num_cols": 2}));
    for size in [4, 5, 6, 7] {
        add(&format!("GoToObjMazeS{size}-v0"), go_to, json!({"num_dists": 1, "room_size": size}));
    }
    add("GoToImpUnlock-v0", go_to_imp_unlock, json!({}));
    add("GoToSeq-v0", go_to_seq, json!({}));
    add("GoToSeqS5R2-v0", go_to_seq, json!({"room_size": 5, "num_rows": 2, "num_cols": 2, "num_dists": 4}));
    add("GoToRedBlueBall-v0", go_to_red_blue_ball, json!({}));
    add("GoToDoor-v0", go_to_door, json!({}));
    add("GoToObjDoor-v0", go_to_obj_door, json!({}));
    add("Open-v0", open_level, json!({}));
    add("OpenRedDoor-v0", open_red_door, json!({}));
    add("OpenDoor-v0", open_door, json!({}));
    add("OpenDoorDebug-v0", open_door, json!({"debug": true, "select_by": null}));
    add("OpenDoorColor-v0", open_door, json!({"select_by": "color"}));
    add("OpenDoorLoc-v0", open_door, json!({"select_by": "loc"}));
    add("OpenTwoDoors-v0", open_two_doors, json!({}));
    add("OpenRedBlueDoors-v0", open_two_doors, json!({"first_color": "red", "second_color": "blue"}));
    add(
        "OpenRedBlueDoorsDebug-v0",
        open_two_doors,
        json!({"first_color": "red", "second_color": "blue", "strict": true}),
    );
    add("OpenDoorsOrderN2-v0", open_doors_order, json!({"num_doors": 2}));
    add("OpenDoorsOrderN4-v0", open_doors_order, json!({"num_doors": 4}));
    add("OpenDoorsOrderN2Debug-v0", open_doors_order, json!({"debug": true, "num_doors": 2}));
    add("OpenDoorsOrderN4Debug-v0", open_doors_order, json!({"debug": true, "num_doors": 4}));
    add("Pickup-v0", pickup_level, json!({}));
    add("UnblockPickup-v0", unblock_pickup, json!({}));
    add("PickupLoc-v0", pickup_loc, json!({}));
    add("PickupDist-v0", pickup_dist, json!({}));
    add("PickupDistDebug-v0", pickup_dist, json!({"debug": true}));
    add("PickupAbove-v0", pickup_above, json!({}));
    add("PutNextLocal-v0", put_next_local, json!({}));
    add("PutNextLocalS5N3-v0", put_next_local, json!({"room_size": 5, "num_objs": 3}));
    add("PutNextLocalS6N4-v0", put_next_local, json!({"room_size": 6, "num_objs": 4}));
    for (size, n, carrying) in [
        (4, 1, false),
        (5, 2, false),
        (5, 1, false),
        (6, 3, false),
        (7, 4, false),
        (5, 2, true),
        (6, 3, true),
        (7, 4, true),
    ] {
        let name = format!("PutNextS{size}N{n}{}-v0", if carrying { "Carrying" } else { "" });
        let mut preset = json!({"room_size": size, "objs_per_room": n});
        if carrying {
            preset["start_carrying"] = json!(true);
        }
        add(&name, put_next, preset);
    }
    add("Unlock-v0", unlock_level, json!({}));
    add("UnlockLocal-v0", unlock_local, json!({}));
    add("UnlockLocalDist-v0", unlock_local, json!({"distractors": true}));
    add("KeyInBox-v0", key_in_box, json!({}));
    add("UnlockPickup-v0", unlock_pickup, json!({}));
    add("UnlockPickupDist-v0", unlock_pickup, json!({"distractors": true}));
    add("BlockedUnlockPickup-v0", blocked_unlock_pickup, json!({}));
    add("UnlockToUnlock-v0", unlock_to_unlock, json!({}));
    add("ActionObjDoor-v0", action_obj_door, json!({}));
    for size in [5, 6, 7] {
        add(&format!("FindObjS{size}-v0"), find_obj, json!({"room_size": size}));
    }
    add("KeyCorridor-v0", key_corridor, json!({}));
    for (size, rows) in [(3, 1), (3, 2), (3, 3), (4, 3), (5, 3), (6, 3)] {
        add(&format!("KeyCorridorS{size}R{rows}-v0"), key_corridor, json!({"room_size": size, "num_rows": rows}));
    }
    for size in [8, 12, 16, 20] {
        add(&format!("OneRoomS{size}-v0"), one_room, json!({"room_size": size}));
    }
    add("MoveTwoAcrossS5N2-v0", move_two_across, json!({"room_size": 5, "objs_per_room": 2}));
    add("MoveTwoAcrossS8N9-v0", move_two_across, json!({"room_size": 8, "objs_per_room": 9}));
    add("Synth-v0", synth, json!({}));
    add("SynthS5R2-v0", synth, json!({"room_size": 5, "num_rows": 2}));
    add("SynthLoc-v0", synth_loc, json!({}));
    add("SynthSeq-v0", synth_seq, json!({}));
    add("MiniBossLevel-v0", mini_boss_level, json!({}));
    add("BossLevel-v0", boss_level, json!({}));
    add("BossLevelNoUnlock-v0", boss_level_no_unlock, json!({}));
    out
}

// ----- Families: a level class, its constructor's kwargs and their defaults. -----

/// The kwargs a level class takes besides `max_steps`, `agent_view_size`, and limbic's
/// `instr` and `mission_words`.
fn level_family(kwargs: Vec<Kwarg>, build: fn(&Args) -> Result<Box<BabyAiEnv>>) -> Family {
    let mut kwargs = kwargs;
    kwargs.push(kwarg(
        "instr",
        Json::Null,
        "an instruction in the Baby Language to give instead of the generated one (null: generated)",
    ));
    kwargs.push(kwarg(
        "mission_words",
        json!(false),
        "the mission as word indices (an int64 Box of 73, 0 pads) instead of text, for instruction-conditioned learners",
    ));
    Family::level(kwargs, SeeThrough::Fixed(false), build)
}

fn room_size(default: i64) -> Kwarg {
    kwarg("room_size", json!(default), "side of each room, walls included")
}

fn maze_kwargs(size: i64, rows: i64, cols: i64) -> Vec<Kwarg> {
    vec![
        room_size(size),
        kwarg("num_rows", json!(rows), "rows of rooms"),
        kwarg("num_cols", json!(cols), "columns of rooms"),
    ]
}

fn num_dists(default: i64) -> Kwarg {
    kwarg("num_dists", json!(default), "how many distractor objects")
}

/// The level's rooms from `room_size`, `num_rows` and `num_cols` (fixed where the class fixes
/// them: `Some`).
fn rooms(args: &Args, size: Option<i32>, rows: Option<i32>, cols: Option<i32>) -> Result<Rooms> {
    let get = |key: &str, fixed: Option<i32>, low: i64| match fixed {
        Some(v) => Ok(v),
        None => args.int(key, low..=64).map(|v| v as i32),
    };
    Ok(Rooms::new(get("room_size", size, 3)?, get("num_rows", rows, 1)?, get("num_cols", cols, 1)?))
}

/// Builds the env: the rooms' grid, `max_steps` (null: from the instruction, or the class's
/// `default_max_steps`), the view, and the `instr` kwarg parsed.
fn build_level(
    args: &Args,
    mission: impl Mission,
    rooms: Rooms,
    default_max_steps: Option<i64>,
) -> Result<Box<BabyAiEnv>> {
    let (width, height) = rooms.grid_size();
    let fixed = args.optional_int("max_steps", 1..=u32::MAX as i64)?.or(default_max_steps);
    let nominal = fixed.unwrap_or((rooms.room_size * rooms.room_size * rooms.num_rows * rooms.num_cols) as i64);
    let config = args.config(width as i64, height as i64, nominal)?;
    let given = match args.get("instr") {
        Json::Null => None,
        _ => Some(parse(args.text("instr")?)?),
    };
    let level = Level::new(mission, rooms, fixed.map(|m| m as u32), given);
    let env = MiniGrid::new(level, config)?;
    Ok(Box::new(if args.flag("mission_words")? { env.with_mission_words(vocab::mission_words()) } else { env }))
}

fn count(args: &Args, key: &str, max: i64) -> Result<usize> {
    Ok(args.int(key, 0..=max)? as usize)
}

fn color(args: &Args, key: &str) -> Result<Option<Color>> {
    match args.get(key) {
        Json::Null => Ok(None),
        _ => {
            let name = args.text(key)?;
            COLOR_NAMES.iter().copied().find(|c| c.name() == name).map(Some).ok_or_else(|| EnvError::BadKwarg {
                key: key.into(),
                message: format!("expected null or a colour (red, green, blue, purple, yellow, grey), got {name:?}"),
            })
        }
    }
}

fn go_to_red_ball_family(grey: bool) -> Family {
    let build = if grey { build_red_ball_grey } else { build_red_ball };
    level_family(vec![room_size(8), num_dists(7)], build)
}

fn build_red_ball_with(args: &Args, grey: bool) -> Result<Box<BabyAiEnv>> {
    let mission = goto::GoToRedBall { num_dists: count(args, "num_dists", 100)?, grey };
    build_level(args, mission, rooms(args, None, Some(1), Some(1))?, None)
}

fn build_red_ball(args: &Args) -> Result<Box<BabyAiEnv>> {
    build_red_ball_with(args, false)
}

fn build_red_ball_grey(args: &Args) -> Result<Box<BabyAiEnv>> {
    build_red_ball_with(args, true)
}

fn go_to_red_ball_grey() -> Family {
    go_to_red_ball_family(true)
}

fn go_to_red_ball() -> Family {
    go_to_red_ball_family(false)
}

fn go_to_red_ball_no_dists() -> Family {
    level_family(vec![], |args| {
        build_level(
            args,
            goto::GoToRedBall { num_dists: 0, grey: false },
            rooms(args, Some(8), Some(1), Some(1))?,
            None,
        )
    })
}

fn go_to_obj() -> Family {
    level_family(vec![room_size(8)], |args| {
        build_level(args, goto::GoToObj, rooms(args, None, Some(1), Some(1))?, None)
    })
}

fn go_to_local() -> Family {
    level_family(vec![room_size(8), num_dists(8)], |args| {
        let mission = goto::GoTo { num_dists: count(args, "num_dists", 100)?, maze: false, doors_open: false };
        build_level(args, mission, rooms(args, None, Some(1), Some(1))?, None)
    })
}

fn go_to() -> Family {
    let mut kwargs = maze_kwargs(8, 3, 3);
    kwargs.push(num_dists(18));
    kwargs.push(kwarg("doors_open", json!(false), "open every door at the start"));
    level_family(kwargs, |args| {
        let mission =
            goto::GoTo { num_dists: count(args, "num_dists", 200)?, maze: true, doors_open: args.flag("doors_open")? };
        build_level(args, mission, rooms(args, None, None, None)?, None)
    })
}

fn go_to_imp_unlock() -> Family {
    level_family(maze_kwargs(8, 3, 3), |args| {
        build_level(args, goto::GoToImpUnlock, rooms(args, None, None, None)?, None)
    })
}

fn go_to_red_blue_ball() -> Family {
    level_family(vec![room_size(8), num_dists(7)], |args| {
        let mission = goto::GoToRedBlueBall { num_dists: count(args, "num_dists", 100)? };
        build_level(args, mission, rooms(args, None, Some(1), Some(1))?, None)
    })
}

fn go_to_door() -> Family {
    level_family(vec![], |args| build_level(args, goto::GoToDoor, rooms(args, Some(7), Some(3), Some(3))?, None))
}

fn go_to_obj_door() -> Family {
    level_family(vec![], |args| build_level(args, goto::GoToObjDoor, rooms(args, Some(8), Some(3), Some(3))?, None))
}

fn open_level() -> Family {
    level_family(maze_kwargs(8, 3, 3), |args| build_level(args, open::Open, rooms(args, None, None, None)?, None))
}

fn open_red_door() -> Family {
    level_family(vec![], |args| build_level(args, open::OpenRedDoor, rooms(args, Some(5), Some(1), Some(2))?, None))
}

fn open_door() -> Family {
    let mut kwargs = maze_kwargs(8, 3, 3);
    kwargs.push(kwarg("debug", json!(false), "opening a wrong door fails the episode"));
    kwargs.push(kwarg("select_by", Json::Null, "name the door by \"color\" or \"loc\" (null: drawn per episode)"));
    level_family(kwargs, |args| {
        let select_by = match args.get("select_by") {
            Json::Null => None,
            _ => Some(match args.text("select_by")? {
                "color" => open::SelectBy::Color,
                "loc" => open::SelectBy::Loc,
                other => {
                    return Err(EnvError::BadKwarg {
                        key: "select_by".into(),
                        message: format!("expected null, \"color\" or \"loc\", got {other:?}"),
                    })
                }
            }),
        };
        let mission = open::OpenDoor { select_by, debug: args.flag("debug")? };
        build_level(args, mission, rooms(args, None, None, None)?, None)
    })
}

fn open_two_doors() -> Family {
    let kwargs = vec![
        kwarg("first_color", Json::Null, "colour of the door to open first (null: drawn)"),
        kwarg("second_color", Json::Null, "colour of the door to open second (null: drawn)"),
        kwarg("strict", json!(false), "opening the second door first fails the episode"),
    ];
    level_family(kwargs, |args| {
        let mission = open::OpenTwoDoors {
            first_color: color(args, "first_color")?,
            second_color: color(args, "second_color")?,
            strict: args.flag("strict")?,
        };
        build_level(args, mission, rooms(args, Some(6), Some(3), Some(3))?, Some(20 * 36))
    })
}

fn open_doors_order() -> Family {
    let kwargs = vec![
        kwarg("num_doors", json!(2), "how many doors (2 to 4)"),
        kwarg("debug", json!(false), "opening a wrong door fails the episode"),
    ];
    level_family(kwargs, |args| {
        let mission =
            open::OpenDoorsOrder { num_doors: args.int("num_doors", 2..=4)? as usize, debug: args.flag("debug")? };
        build_level(args, mission, rooms(args, Some(6), Some(3), Some(3))?, Some(20 * 36))
    })
}

fn pickup_level() -> Family {
    level_family(maze_kwargs(8, 3, 3), |args| {
        build_level(args, pickup::Pickup { unblock: false }, rooms(args, None, None, None)?, None)
    })
}

fn unblock_pickup() -> Family {
    level_family(maze_kwargs(8, 3, 3), |args| {
        build_level(args, pickup::Pickup { unblock: true }, rooms(args, None, None, None)?, None)
    })
}

fn pickup_dist() -> Family {
    let kwargs = vec![kwarg("debug", json!(false), "picking up a wrong object fails the episode")];
    level_family(kwargs, |args| {
        let mission = pickup::PickupDist { debug: args.flag("debug")? };
        build_level(args, mission, rooms(args, Some(7), Some(1), Some(1))?, None)
    })
}

fn pickup_above() -> Family {
    level_family(vec![], |args| {
        build_level(args, pickup::PickupAbove, rooms(args, Some(6), Some(3), Some(3))?, Some(8 * 36))
    })
}

fn put_next_local() -> Family {
    let kwargs = vec![room_size(8), kwarg("num_objs", json!(8), "how many objects (distinct)")];
    level_family(kwargs, |args| {
        let mission = putnext::PutNextLocal { num_objs: count(args, "num_objs", 18)? };
        build_level(args, mission, rooms(args, None, Some(1), Some(1))?, None)
    })
}

fn put_next() -> Family {
    let kwargs = vec![
        room_size(5),
        kwarg("objs_per_room", json!(2), "objects in each room (at most 9)"),
        kwarg("start_carrying", json!(false), "the agent starts holding the object to move"),
    ];
    level_family(kwargs, |args| {
        let size = args.int("room_size", 4..=64)?;
        let mission = putnext::PutNext::new(count(args, "objs_per_room", 9)?, args.flag("start_carrying")?);
        build_level(args, mission, rooms(args, None, Some(1), Some(2))?, Some(8 * size * size))
    })
}

fn unlock_level() -> Family {
    level_family(maze_kwargs(8, 3, 3), |args| build_level(args, unlock::Unlock, rooms(args, None, None, None)?, None))
}

fn unlock_local_family(key_in_box: bool) -> Family {
    let mut kwargs = maze_kwargs(8, 3, 3);
    if !key_in_box {
        kwargs.push(kwarg("distractors", json!(false), "three distractors in the room"));
    }
    let build: fn(&Args) -> Result<Box<BabyAiEnv>> = if key_in_box {
        |args| {
            let mission = unlock::UnlockLocal { distractors: false, key_in_box: true };
            build_level(args, mission, rooms(args, None, None, None)?, None)
        }
    } else {
        |args| {
            let mission = unlock::UnlockLocal { distractors: args.flag("distractors")?, key_in_box: false };
            build_level(args, mission, rooms(args, None, None, None)?, None)
        }
    };
    level_family(kwargs, build)
}

fn unlock_local() -> Family {
    unlock_local_family(false)
}

fn key_in_box() -> Family {
    unlock_local_family(true)
}

fn unlock_pickup() -> Family {
    let kwargs = vec![kwarg("distractors", json!(false), "four distractors")];
    level_family(kwargs, |args| {
        // MiniGrid 3.2.0 means to default max_steps to 8 * 6^2 but tests `max is None`, so the
        // limit follows from the instruction.
        let mission = unlock::UnlockPickup { distractors: args.flag("distractors")?, blocked: false };
        build_level(args, mission, rooms(args, Some(6), Some(1), Some(2))?, None)
    })
}

fn blocked_unlock_pickup() -> Family {
    level_family(vec![], |args| {
        let mission = unlock::UnlockPickup { distractors: false, blocked: true };
        build_level(args, mission, rooms(args, Some(6), Some(1), Some(2))?, Some(16 * 36))
    })
}

fn unlock_to_unlock() -> Family {
    level_family(vec![], |args| {
        build_level(args, unlock::UnlockToUnlock, rooms(args, Some(6), Some(1), Some(3))?, Some(30 * 36))
    })
}

fn action_obj_door() -> Family {
    level_family(vec![], |args| build_level(args, other::ActionObjDoor, rooms(args, Some(7), Some(3), Some(3))?, None))
}

fn find_obj() -> Family {
    level_family(vec![room_size(5)], |args| {
        let size = args.int("room_size", 3..=64)?;
        build_level(args, other::FindObj, rooms(args, None, Some(3), Some(3))?, Some(20 * size * size))
    })
}

fn key_corridor() -> Family {
    let kwargs = vec![
        kwarg("num_rows", json!(3), "rows of rooms"),
        kwarg("obj_type", json!("ball"), "the object to pick up: \"key\", \"ball\" or \"box\""),
        room_size(6),
    ];
    level_family(kwargs, |args| {
        let obj_type = match args.text("obj_type")? {
            "key" => ObjType::Key,
            "ball" => ObjType::Ball,
            "box" => ObjType::Box,
            other => {
                return Err(EnvError::BadKwarg {
                    key: "obj_type".into(),
                    message: format!("expected \"key\", \"ball\" or \"box\", got {other:?}"),
                })
            }
        };
        let size = args.int("room_size", 3..=64)?;
        build_level(args, other::KeyCorridor { obj_type }, rooms(args, None, None, Some(3))?, Some(30 * size * size))
    })
}

fn one_room() -> Family {
    level_family(vec![room_size(8)], |args| {
        build_level(args, other::OneRoom, rooms(args, None, Some(1), Some(1))?, None)
    })
}

fn move_two_across() -> Family {
    let kwargs = vec![room_size(5), kwarg("objs_per_room", json!(2), "objects in each room (2 to 9)")];
    level_family(kwargs, |args| {
        let size = args.int("room_size", 3..=64)?;
        let mission = other::MoveTwoAcross { objs_per_room: args.int("objs_per_room", 2..=9)? as usize };
        build_level(args, mission, rooms(args, None, Some(1), Some(2))?, Some(16 * size * size))
    })
}

// ----- The LevelGen levels. -----

/// LevelGen's kwargs, with a level's defaults.
fn level_gen_kwargs(gen: &LevelGen, size: i64, rows: i64, cols: i64) -> Vec<Kwarg> {
    let mut kwargs = maze_kwargs(size, rows, cols);
    kwargs.extend([
        num_dists(gen.num_dists as i64),
        kwarg("locked_room_prob", json!(gen.locked_room_prob), "probability of a locked room"),
        kwarg("locations", json!(gen.locations), "descriptions may name locations (\"on your left\")"),
        kwarg("unblocking", json!(gen.unblocking), "objects may block the way"),
        kwarg("implicit_unlock", json!(gen.implicit_unlock), "the object may be only in the locked room"),
        kwarg("action_kinds", json!(action_names(&gen.action_kinds)), "clauses: goto, pickup, open, putnext"),
        kwarg("instr_kinds", json!(instr_names(&gen.instr_kinds)), "shapes: action, and, seq"),
    ]);
    kwargs
}

fn action_names(kinds: &[ActionKind]) -> Vec<&'static str> {
    kinds
        .iter()
        .map(|k| match k {
            ActionKind::GoTo => "goto",
            ActionKind::Pickup => "pickup",
            ActionKind::Open => "open",
            ActionKind::PutNext => "putnext",
        })
        .collect()
}

fn instr_names(kinds: &[InstrKind]) -> Vec<&'static str> {
    kinds
        .iter()
        .map(|k| match k {
            InstrKind::Action => "action",
            InstrKind::And => "and",
            InstrKind::Seq => "seq",
        })
        .collect()
}

/// A non-empty list of names from `allowed`, mapped to their kinds.
fn kinds<T: Copy>(args: &Args, key: &str, allowed: &[(&str, T)]) -> Result<Vec<T>> {
    let value = args.get(key);
    let bad = || EnvError::BadKwarg {
        key: key.into(),
        message: format!(
            "expected a non-empty list of {}, got {value}",
            allowed.iter().map(|(n, _)| format!("{n:?}")).collect::<Vec<_>>().join(", ")
        ),
    };
    let items = value.as_array().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    items
        .iter()
        .map(|item| allowed.iter().find(|(n, _)| Some(*n) == item.as_str()).map(|&(_, k)| k).ok_or_else(bad))
        .collect()
}

fn build_level_gen(args: &Args) -> Result<Box<BabyAiEnv>> {
    let probability = args.get("locked_room_prob").as_f64().filter(|p| (0.0..=1.0).contains(p)).ok_or_else(|| {
        EnvError::BadKwarg { key: "locked_room_prob".into(), message: "expected a number from 0 to 1".into() }
    })?;
    let gen = LevelGen {
        num_dists: count(args, "num_dists", 500)?,
        locked_room_prob: probability,
        locations: args.flag("locations")?,
        unblocking: args.flag("unblocking")?,
        implicit_unlock: args.flag("implicit_unlock")?,
        action_kinds: kinds(
            args,
            "action_kinds",
            &[
                ("goto", ActionKind::GoTo),
                ("pickup", ActionKind::Pickup),
                ("open", ActionKind::Open),
                ("putnext", ActionKind::PutNext),
            ],
        )?,
        instr_kinds: kinds(
            args,
            "instr_kinds",
            &[("action", InstrKind::Action), ("and", InstrKind::And), ("seq", InstrKind::Seq)],
        )?,
    };
    build_level(args, gen, rooms(args, None, None, None)?, None)
}

fn level_gen_family(gen: LevelGen, size: i64, rows: i64, cols: i64) -> Family {
    level_family(level_gen_kwargs(&gen, size, rows, cols), build_level_gen)
}

fn go_to_seq() -> Family {
    let gen = LevelGen {
        action_kinds: vec![ActionKind::GoTo],
        locked_room_prob: 0.0,
        locations: false,
        unblocking: false,
        ..LevelGen::default()
    };
    level_gen_family(gen, 8, 3, 3)
}

fn pickup_loc() -> Family {
    let gen = LevelGen {
        action_kinds: vec![ActionKind::Pickup],
        instr_kinds: vec![InstrKind::Action],
        num_dists: 8,
        locked_room_prob: 0.0,
        locations: true,
        unblocking: false,
        ..LevelGen::default()
    };
    level_gen_family(gen, 8, 1, 1)
}

fn synth() -> Family {
    let gen = LevelGen {
        instr_kinds: vec![InstrKind::Action],
        locations: false,
        implicit_unlock: false,
        ..LevelGen::default()
    };
    level_gen_family(gen, 8, 3, 3)
}

fn synth_loc() -> Family {
    let gen = LevelGen { instr_kinds: vec![InstrKind::Action], implicit_unlock: false, ..LevelGen::default() };
    level_gen_family(gen, 8, 3, 3)
}

fn synth_seq() -> Family {
    level_gen_family(LevelGen { implicit_unlock: false, ..LevelGen::default() }, 8, 3, 3)
}

fn mini_boss_level() -> Family {
    level_gen_family(LevelGen { num_dists: 7, locked_room_prob: 0.25, ..LevelGen::default() }, 5, 2, 2)
}

fn boss_level() -> Family {
    level_gen_family(LevelGen::default(), 8, 3, 3)
}

fn boss_level_no_unlock() -> Family {
    level_gen_family(LevelGen { locked_room_prob: 0.0, implicit_unlock: false, ..LevelGen::default() }, 8, 3, 3)
}
