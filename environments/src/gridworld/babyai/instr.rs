//! The Baby Language: object descriptions, instructions, their English surface form, a parser
//! for it, and the verifier that decides after every step whether the instruction succeeded,
//! failed or goes on (MiniGrid's `envs/babyai/core/verifier.py`).
//!
//! An instruction keeps its verifier state (which objects each description matched, where they
//! are, what sub-instructions are done), as MiniGrid's do; the bot reads the same descriptions.

use super::objects::{ObjId, Objects, NONE};
use crate::error::{EnvError, Result};
use crate::gridworld::{Action, Color, ObjType, Pos, Rooms, World, COLOR_NAMES, DIR_TO_VEC};

/// Where an object is relative to the agent's starting pose, in its starting room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    Left,
    Right,
    Front,
    Behind,
}

/// `LOC_NAMES`, in MiniGrid's order (the order locations are drawn in).
pub const LOCS: [Loc; 4] = [Loc::Left, Loc::Right, Loc::Front, Loc::Behind];

/// `OBJ_TYPES`: the types instructions may name, in MiniGrid's order.
pub const OBJ_TYPES: [ObjType; 4] = [ObjType::Box, ObjType::Ball, ObjType::Key, ObjType::Door];

/// `OBJ_TYPES_NOT_DOOR`.
pub const OBJ_TYPES_NOT_DOOR: [ObjType; 3] = [ObjType::Box, ObjType::Ball, ObjType::Key];

impl Loc {
    fn phrase(self) -> &'static str {
        match self {
            Loc::Left => "on your left",
            Loc::Right => "on your right",
            Loc::Front => "in front of you",
            Loc::Behind => "behind you",
        }
    }
}

/// `ObjDesc`: a set of objects described by type, colour and location (each optional), with the
/// objects it matched when the episode started and where they are now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjDesc {
    pub kind: Option<ObjType>,
    pub color: Option<Color>,
    pub loc: Option<Loc>,
    /// The matching objects, as found at the start (`obj_set`).
    pub obj_set: Vec<ObjId>,
    /// Their positions, column by column (`obj_poss`); after a drop only those still in the
    /// grid, so its indices need not line up with `obj_set`'s (as in MiniGrid).
    pub obj_poss: Vec<Pos>,
}

impl ObjDesc {
    pub fn new(kind: Option<ObjType>, color: Option<Color>, loc: Option<Loc>) -> ObjDesc {
        ObjDesc { kind, color, loc, obj_set: Vec::new(), obj_poss: Vec::new() }
    }

    /// A description by type and colour.
    pub fn of(kind: ObjType, color: Color) -> ObjDesc {
        ObjDesc::new(Some(kind), Some(color), None)
    }

    /// `find_matching_objs(env, use_location=True)`: every object matching the description,
    /// column by column, locations judged from the agent's current pose.
    pub fn find_matching(&mut self, world: &World, rooms: &Rooms, objects: &Objects) {
        self.obj_set.clear();
        self.obj_poss.clear();
        let start_room = rooms.room_at(world.agent_pos);
        let start_room = rooms.room(start_room.0, start_room.1);
        for (pos, obj) in cells(world) {
            if !self.matches_kind(obj) {
                continue;
            }
            if let Some(loc) = self.loc {
                if !start_room.contains(pos) || !is_at(world, pos, loc) {
                    continue;
                }
            }
            self.obj_set.push(objects.at(pos));
            self.obj_poss.push(pos);
        }
    }

    /// `find_matching_objs(env, use_location=False)`: the positions of the objects matched at
    /// the start that are still in the grid.
    pub fn update_positions(&mut self, world: &World, objects: &Objects) {
        self.obj_poss.clear();
        for (pos, obj) in cells(world) {
            if self.obj_set.contains(&objects.at(pos)) && self.matches_kind(obj) {
                self.obj_poss.push(pos);
            }
        }
    }

    fn matches_kind(&self, obj: crate::gridworld::Obj) -> bool {
        self.kind.is_none_or(|k| k == obj.kind) && self.color.is_none_or(|c| c == obj.color)
    }

    /// `surface(env)`: "the red ball", "a door on your left", "the grey object".
    pub fn surface(&self) -> String {
        let mut s = String::from(if self.obj_set.len() > 1 { "a " } else { "the " });
        if let Some(color) = self.color {
            s.push_str(color.name());
            s.push(' ');
        }
        s.push_str(self.kind.map_or("object", ObjType::name));
        if let Some(loc) = self.loc {
            s.push(' ');
            s.push_str(loc.phrase());
        }
        s
    }
}

/// Every occupied cell, column by column (MiniGrid's `for i in width: for j in height`).
fn cells(world: &World) -> impl Iterator<Item = (Pos, crate::gridworld::Obj)> + '_ {
    let (width, height) = (world.grid.width(), world.grid.height());
    (0..width)
        .flat_map(move |x| (0..height).map(move |y| (x, y)))
        .map(|pos| (pos, world.grid.get(pos)))
        .filter(|(_, obj)| !obj.is_empty())
}

/// Whether `pos` lies at `loc` from the agent's pose (dot products with its facing and right).
fn is_at(world: &World, (x, y): Pos, loc: Loc) -> bool {
    let v = (x - world.agent_pos.0, y - world.agent_pos.1);
    let d1 = DIR_TO_VEC[world.agent_dir % 4];
    let d2 = (-d1.1, d1.0);
    let dot = |a: Pos, b: Pos| a.0 * b.0 + a.1 * b.1;
    match loc {
        Loc::Left => dot(v, d2) < 0,
        Loc::Right => dot(v, d2) > 0,
        Loc::Front => dot(v, d1) > 0,
        Loc::Behind => dot(v, d1) < 0,
    }
}

/// What the verifier says after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Continue,
    Success,
    Failure,
}

/// The four clause kinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clause {
    /// Face an object matching the description.
    GoTo(ObjDesc),
    /// Toggle a matching door open.
    Open(ObjDesc),
    /// Pick up a matching object.
    Pickup(ObjDesc),
    /// Drop an object matching the first description next to one matching the second.
    PutNext(ObjDesc, ObjDesc),
}

/// `ActionInstr`: a clause, its strictness, and what was carried on the previous step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionInstr {
    pub clause: Clause,
    /// A wrong door, a wrong pickup or doing things in the wrong order fails the episode.
    pub strict: bool,
    pre_carrying: ObjId,
}

/// How two instructions are sequenced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqKind {
    /// "A, then B".
    Before,
    /// "A after you B": B first.
    After,
    /// "A and B", in any order.
    And,
}

/// An instruction: a clause, or two instructions in sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Instr {
    Action(ActionInstr),
    Seq { kind: SeqKind, a: Box<Instr>, b: Box<Instr>, strict: bool, a_done: Option<Status>, b_done: Option<Status> },
}

impl Instr {
    pub fn clause(clause: Clause) -> Instr {
        Instr::clause_strict(clause, false)
    }

    pub fn clause_strict(clause: Clause, strict: bool) -> Instr {
        Instr::Action(ActionInstr { clause, strict, pre_carrying: NONE })
    }

    pub fn seq(kind: SeqKind, a: Instr, b: Instr) -> Instr {
        Instr::Seq { kind, a: Box::new(a), b: Box::new(b), strict: false, a_done: None, b_done: None }
    }

    /// `surface(env)`: the English mission, from the descriptions' current matches.
    pub fn surface(&self) -> String {
        match self {
            Instr::Action(action) => match &action.clause {
                Clause::GoTo(d) => format!("go to {}", d.surface()),
                Clause::Open(d) => format!("open {}", d.surface()),
                Clause::Pickup(d) => format!("pick up {}", d.surface()),
                Clause::PutNext(m, f) => format!("put {} next to {}", m.surface(), f.surface()),
            },
            Instr::Seq { kind, a, b, .. } => {
                let joint = match kind {
                    SeqKind::Before => ", then ",
                    SeqKind::After => " after you ",
                    SeqKind::And => " and ",
                };
                format!("{}{joint}{}", a.surface(), b.surface())
            }
        }
    }

    /// Every description, in order (a PutNext's moved object before its fixed one).
    pub fn descs(&self) -> Vec<&ObjDesc> {
        let mut out = Vec::new();
        self.visit(&mut |action| match &action.clause {
            Clause::GoTo(d) | Clause::Open(d) | Clause::Pickup(d) => out.push(d),
            Clause::PutNext(m, f) => out.extend([m, f]),
        });
        out
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a ActionInstr)) {
        match self {
            Instr::Action(action) => f(action),
            Instr::Seq { a, b, .. } => {
                a.visit(f);
                b.visit(f);
            }
        }
    }

    fn visit_mut(&mut self, f: &mut impl FnMut(&mut ActionInstr)) {
        match self {
            Instr::Action(action) => f(action),
            Instr::Seq { a, b, .. } => {
                a.visit_mut(f);
                b.visit_mut(f);
            }
        }
    }

    /// The description number `index` of [`Instr::descs`].
    pub fn desc(&self, index: usize) -> Option<&ObjDesc> {
        self.descs().into_iter().nth(index)
    }

    /// `reset_verifier(env)`: matches every description and clears the progress.
    pub fn reset_verifier(&mut self, world: &World, rooms: &Rooms, objects: &Objects) {
        self.visit_mut(&mut |action| {
            action.pre_carrying = NONE;
            match &mut action.clause {
                Clause::GoTo(d) | Clause::Open(d) | Clause::Pickup(d) => d.find_matching(world, rooms, objects),
                Clause::PutNext(m, f) => {
                    m.find_matching(world, rooms, objects);
                    f.find_matching(world, rooms, objects);
                }
            }
        });
        self.clear_progress();
    }

    fn clear_progress(&mut self) {
        if let Instr::Seq { a, b, a_done, b_done, .. } = self {
            (*a_done, *b_done) = (None, None);
            a.clear_progress();
            b.clear_progress();
        }
    }

    /// `update_objs_poss()`: after a drop, where the matched objects are now.
    pub fn update_positions(&mut self, world: &World, objects: &Objects) {
        self.visit_mut(&mut |action| match &mut action.clause {
            Clause::GoTo(d) | Clause::Open(d) | Clause::Pickup(d) => d.update_positions(world, objects),
            Clause::PutNext(m, f) => {
                m.update_positions(world, objects);
                f.update_positions(world, objects);
            }
        });
    }

    /// `num_navs_needed`: a PutNext is two navigations, a sequence the sum of its parts.
    pub fn num_navs(&self) -> u32 {
        match self {
            Instr::Action(ActionInstr { clause: Clause::PutNext(..), .. }) => 2,
            Instr::Action(_) => 1,
            Instr::Seq { a, b, .. } => a.num_navs() + b.num_navs(),
        }
    }

    /// `verify(action)` after a step (`use_done_actions` off, MiniGrid's default).
    pub fn verify(&mut self, action: Action, world: &World, objects: &Objects) -> Status {
        match self {
            Instr::Action(instr) => instr.verify(action, world, objects),
            Instr::Seq { kind: SeqKind::And, a, b, a_done, b_done, .. } => {
                if *a_done != Some(Status::Success) {
                    *a_done = Some(a.verify(action, world, objects));
                }
                if *b_done != Some(Status::Success) {
                    *b_done = Some(b.verify(action, world, objects));
                }
                if *a_done == Some(Status::Success) && *b_done == Some(Status::Success) {
                    Status::Success
                } else {
                    Status::Continue
                }
            }
            Instr::Seq { kind, a, b, strict, a_done, b_done } => {
                // "A after you B" is "B, then A".
                let (first, second, first_done, second_done) = match kind {
                    SeqKind::After => (b, a, b_done, a_done),
                    _ => (a, b, a_done, b_done),
                };
                sequence(action, world, objects, [first, second], [first_done, second_done], *strict)
            }
        }
    }
}

/// `BeforeInstr.verify`: the second instruction is checked only once the first succeeded (in the
/// same step too); in strict mode the second succeeding first fails.
fn sequence(
    action: Action,
    world: &World,
    objects: &Objects,
    [first, second]: [&mut Box<Instr>; 2],
    [first_done, second_done]: [&mut Option<Status>; 2],
    strict: bool,
) -> Status {
    if *first_done == Some(Status::Success) {
        *second_done = Some(second.verify(action, world, objects));
        return match *second_done {
            Some(Status::Failure) => Status::Failure,
            Some(Status::Success) => Status::Success,
            _ => Status::Continue,
        };
    }
    *first_done = Some(first.verify(action, world, objects));
    match *first_done {
        Some(Status::Failure) => Status::Failure,
        Some(Status::Success) => sequence(action, world, objects, [first, second], [first_done, second_done], strict),
        _ if strict && second.verify(action, world, objects) == Status::Success => Status::Failure,
        _ => Status::Continue,
    }
}

impl ActionInstr {
    fn verify(&mut self, action: Action, world: &World, objects: &Objects) -> Status {
        let front = world.front_pos();
        let carrying = objects.carried();
        match &self.clause {
            Clause::GoTo(desc) => {
                if desc.obj_poss.contains(&front) {
                    return Status::Success;
                }
                Status::Continue
            }
            Clause::Open(desc) => {
                if action != Action::Toggle {
                    return Status::Continue;
                }
                let cell = world.grid.get(front);
                let at_front = objects.at(front);
                if cell.is_open() && desc.obj_set.contains(&at_front) {
                    return Status::Success;
                }
                if self.strict && cell.kind == ObjType::Door {
                    return Status::Failure;
                }
                Status::Continue
            }
            Clause::Pickup(desc) => {
                let pre = std::mem::replace(&mut self.pre_carrying, carrying);
                if action != Action::Pickup {
                    return Status::Continue;
                }
                if pre == NONE && carrying != NONE && desc.obj_set.contains(&carrying) {
                    return Status::Success;
                }
                if self.strict && carrying != NONE {
                    return Status::Failure;
                }
                Status::Continue
            }
            Clause::PutNext(moved, fixed) => {
                let pre = std::mem::replace(&mut self.pre_carrying, carrying);
                if self.strict && action == Action::Pickup && carrying != NONE {
                    return Status::Failure;
                }
                if action != Action::Drop {
                    return Status::Continue;
                }
                for &obj in &moved.obj_set {
                    if pre != obj {
                        continue;
                    }
                    let at = objects.position(obj);
                    if fixed.obj_poss.iter().any(|&b| next_to(at, b)) {
                        return Status::Success;
                    }
                }
                Status::Continue
            }
        }
    }
}

/// `pos_next_to`: Manhattan distance 1.
pub fn next_to(a: Pos, b: Pos) -> bool {
    (a.0 - b.0).abs() + (a.1 - b.1).abs() == 1
}

impl Clause {
    /// `PutNextInstr.objs_next()`: some object to move already stands next to a fixed one.
    pub fn objs_next(&self, objects: &Objects) -> bool {
        match self {
            Clause::PutNext(moved, fixed) => {
                moved.obj_set.iter().any(|&a| fixed.obj_poss.iter().any(|&b| next_to(objects.position(a), b)))
            }
            _ => false,
        }
    }
}

// ----- Parsing the surface form back. -----

/// Parses a mission of the Baby Language ("pick up a red ball, then open the door on your
/// left") into an instruction whose descriptions are not yet matched. The articles "a" and
/// "the" are both accepted (the verifier does not use them).
pub fn parse(text: &str) -> Result<Instr> {
    let fail = |message: String| EnvError::BadKwarg { key: "instr".into(), message };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut p = Parser { words: &words, at: 0 };
    let instr = p.sequence().map_err(|e| fail(format!("{e} in {text:?}")))?;
    if p.at < words.len() {
        return Err(fail(format!("unexpected {:?} at word {} in {text:?}", words[p.at], p.at + 1)));
    }
    Ok(instr)
}

struct Parser<'a> {
    words: &'a [&'a str],
    at: usize,
}

type Parsed<T> = std::result::Result<T, String>;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.words.get(self.at).copied()
    }

    fn expect(&mut self, word: &str) -> Parsed<()> {
        match self.peek() {
            Some(w) if w == word => {
                self.at += 1;
                Ok(())
            }
            Some(w) => Err(format!("expected {word:?}, found {w:?} at word {}", self.at + 1)),
            None => Err(format!("expected {word:?} at the end")),
        }
    }

    /// `X, then Y` | `X after you Y` | `X`, where X and Y are clauses or "and" pairs.
    fn sequence(&mut self) -> Parsed<Instr> {
        let a = self.conjunction()?;
        if self.peek() == Some("after") {
            self.at += 1;
            self.expect("you")?;
            return Ok(Instr::seq(SeqKind::After, a, self.conjunction()?));
        }
        if self.at > 0 && self.words[self.at - 1].ends_with(',') {
            self.expect("then")?;
            return Ok(Instr::seq(SeqKind::Before, a, self.conjunction()?));
        }
        Ok(a)
    }

    fn conjunction(&mut self) -> Parsed<Instr> {
        let a = self.clause()?;
        if self.peek() == Some("and") {
            self.at += 1;
            return Ok(Instr::seq(SeqKind::And, a, self.clause()?));
        }
        Ok(a)
    }

    fn clause(&mut self) -> Parsed<Instr> {
        let clause = match self.peek() {
            Some("go") => {
                self.at += 1;
                self.expect("to")?;
                Clause::GoTo(self.desc(&OBJ_TYPES)?)
            }
            Some("open") => {
                self.at += 1;
                Clause::Open(self.desc(&[ObjType::Door])?)
            }
            Some("pick") => {
                self.at += 1;
                self.expect("up")?;
                Clause::Pickup(self.desc(&OBJ_TYPES_NOT_DOOR)?)
            }
            Some("put") => {
                self.at += 1;
                let moved = self.desc(&OBJ_TYPES_NOT_DOOR)?;
                self.expect("next")?;
                self.expect("to")?;
                Clause::PutNext(moved, self.desc(&OBJ_TYPES)?)
            }
            Some(w) => return Err(format!("expected \"go to\", \"open\", \"pick up\" or \"put\", found {w:?}")),
            None => return Err("expected an instruction".into()),
        };
        Ok(Instr::clause(clause))
    }

    /// `(a|the) [colour] (type|object) [location]`; a trailing comma ends the description.
    fn desc(&mut self, types: &[ObjType]) -> Parsed<ObjDesc> {
        match self.peek() {
            Some("a" | "the") => self.at += 1,
            Some(w) => return Err(format!("expected \"a\" or \"the\", found {w:?} at word {}", self.at + 1)),
            None => return Err("expected \"a\" or \"the\" at the end".into()),
        }
        let color =
            COLOR_NAMES.iter().copied().find(|c| self.peek().map(|w| w.trim_end_matches(',')) == Some(c.name()));
        if color.is_some() {
            self.at += 1;
        }
        let noun = self.peek().ok_or("expected an object at the end")?;
        let name = noun.trim_end_matches(',');
        self.at += 1;
        let kind = match types.iter().find(|t| t.name() == name) {
            Some(&t) => Some(t),
            None if name == "object" => None,
            None => {
                let allowed: Vec<&str> = types.iter().map(|t| t.name()).collect();
                return Err(format!("expected an object ({} or \"object\"), found {name:?}", allowed.join(", ")));
            }
        };
        let mut desc = ObjDesc::new(kind, color, None);
        if noun.ends_with(',') {
            return Ok(desc);
        }
        for loc in LOCS {
            let phrase: Vec<&str> = loc.phrase().split(' ').collect();
            let n = phrase.len();
            let Some(here) = self.words.get(self.at..self.at + n) else { continue };
            let last = here[n - 1].trim_end_matches(',');
            if here[..n - 1] == phrase[..n - 1] && last == phrase[n - 1] {
                self.at += n;
                desc.loc = Some(loc);
                break;
            }
        }
        Ok(desc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_forms_parse_back() {
        for text in [
            "go to the red ball",
            "open a door on your left",
            "pick up the grey object",
            "put a purple key in front of you next to the yellow door behind you",
            "go to a box and pick up the blue key, then open the green door",
            "pick up a ball on your right after you put the red box next to a key and open a door",
        ] {
            let instr = parse(text).unwrap();
            let mut restored = instr.surface();
            // Unmatched descriptions print "the"; the parse keeps no article.
            for (i, w) in text.split(' ').enumerate() {
                if w == "a" {
                    let mut words: Vec<&str> = restored.split(' ').collect();
                    words[i] = "a";
                    restored = words.join(" ");
                }
            }
            assert_eq!(restored, text);
        }
        assert_eq!(parse("put the red ball next to the blue box, then go to a key").unwrap().num_navs(), 3);
    }

    #[test]
    fn bad_instructions_say_what_was_expected() {
        for (text, expected) in [
            ("", "expected an instruction"),
            ("go to the red", "expected an object"),
            ("open the red ball", "expected an object (door or \"object\")"),
            ("pick up the red ball then go to a key", "unexpected \"then\""),
            ("jump over the door", "expected \"go to\""),
            ("put the red ball near the blue box", "expected \"next\""),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(expected) && err.contains("instr"), "{text:?}: {err}");
        }
    }
}
