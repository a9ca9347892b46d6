//! [`Value`]: one element of a space, an observation or an action.

use std::fmt;

/// An element of a [`crate::Space`], mirroring what Gymnasium hands around as numpy arrays,
/// ints, strings and dicts. Arrays are flat, row-major; their shape lives in the space.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An element of `Discrete`.
    Int(i64),
    /// A `Box` of dtype float32.
    F32(Vec<f32>),
    /// A `Box` of dtype float64.
    F64(Vec<f64>),
    /// A `Box` of dtype uint8 (images).
    U8(Vec<u8>),
    /// A `MultiBinary` (int8 in Gymnasium).
    I8(Vec<i8>),
    /// A `MultiDiscrete` or a `Box` of dtype int64.
    I64(Vec<i64>),
    /// An element of `Text`.
    Text(String),
    /// An element of `Dict`, keyed in the space's (sorted) key order.
    Dict(Vec<(String, Value)>),
    /// An element of `Tuple`, one value per subspace.
    Tuple(Vec<Value>),
}

impl Value {
    /// Looks up a key of a `Dict` value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The numbers of an array value as f64 (None for Int, Text, Dict and Tuple).
    pub fn to_f64_vec(&self) -> Option<Vec<f64>> {
        Some(match self {
            Value::F32(v) => v.iter().map(|&x| x as f64).collect(),
            Value::F64(v) => v.clone(),
            Value::U8(v) => v.iter().map(|&x| x as f64).collect(),
            Value::I8(v) => v.iter().map(|&x| x as f64).collect(),
            Value::I64(v) => v.iter().map(|&x| x as f64).collect(),
            _ => return None,
        })
    }

    /// The value as a discrete action, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The value as f32 numbers, if it is a float32 array.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match self {
            Value::F32(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Dict(items) => {
                write!(f, "{{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{k:?}: {v}")?;
                }
                write!(f, "}}")
            }
            Value::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(|v| v.to_string()).collect();
                write!(f, "({})", parts.join(", "))
            }
            other => {
                let nums = other.to_f64_vec().unwrap_or_default();
                let parts: Vec<String> = nums.iter().map(|x| format!("{x}")).collect();
                write!(f, "[{}]", parts.join(", "))
            }
        }
    }
}
