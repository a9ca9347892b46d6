//! Spaces as Arrow columns, the way Minari's arrow storage lays them out
//! (`minari/dataset/_storages/arrow_storage.py`, `_encode_space`/`_decode_space`):
//!
//! | space | column |
//! | --- | --- |
//! | Discrete | `int64` |
//! | Box, MultiDiscrete, MultiBinary | `fixed_size_list<dtype>[n]`, the element flattened row-major |
//! | Dict | `struct`, one field per key (found by name when reading) |
//! | Text | `string` |
//!
//! Minari JPEG-encodes image spaces (uint8 Boxes of at least 32x32 within 0..255) unless the
//! dataset says `"jpeg_encoding": false`; limbic writes them raw and refuses JPEG on reading.

use limbic_environments::{DType, Space, Value};
use std::sync::Arc;

use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type, Int8Type, UInt8Type};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BooleanArray, FixedSizeListArray, Int64Array, PrimitiveArray, StringArray,
    StructArray,
};
use arrow_schema::{Field, Fields};

/// A column failed to encode or decode; the caller adds the file and episode.
pub type ColumnResult<T> = std::result::Result<T, String>;

/// Whether Minari treats `space` as an image (and JPEG-encodes it when `jpeg_encoding` is on).
pub fn is_image_space(space: &Space) -> bool {
    match space {
        Space::Box(b) => {
            (b.shape.len() == 2 || b.shape.len() == 3)
                && b.shape[0] >= 32
                && b.shape[1] >= 32
                && b.dtype == DType::UInt8
                && b.low.iter().all(|&x| x == 0.0)
                && b.high.iter().all(|&x| x == 255.0)
        }
        _ => false,
    }
}

/// Whether any part of `space` is an image space.
pub fn has_image_space(space: &Space) -> bool {
    match space {
        Space::Dict(items) => items.iter().any(|(_, s)| has_image_space(s)),
        Space::Tuple(items) => items.iter().any(has_image_space),
        s => is_image_space(s),
    }
}

/// The column for `values` (elements of `space`), followed by `pad` filler rows (zeros, or
/// nulls for text) as Minari pads actions to the observations' T+1 rows.
pub fn encode(space: &Space, values: &[&Value], pad: usize) -> ColumnResult<ArrayRef> {
    Ok(match space {
        Space::Discrete { .. } => {
            let ints = values
                .iter()
                .map(|v| v.as_int().ok_or_else(|| mismatch(space, v)))
                .collect::<ColumnResult<Vec<_>>>()?;
            Arc::new(Int64Array::from_iter_values(ints.into_iter().chain(std::iter::repeat_n(0, pad))))
        }
        Space::Box(b) => fixed_list(b.dtype, b.low.len(), space, values, pad)?,
        Space::MultiDiscrete { nvec, .. } => fixed_list(DType::Int64, nvec.len(), space, values, pad)?,
        Space::MultiBinary { shape } => fixed_list(DType::Int8, shape.iter().product(), space, values, pad)?,
        Space::Text { .. } => {
            let texts = values
                .iter()
                .map(|v| match v {
                    Value::Text(s) => Ok(Some(s.as_str())),
                    v => Err(mismatch(space, v)),
                })
                .collect::<ColumnResult<Vec<_>>>()?;
            Arc::new(StringArray::from_iter(texts.into_iter().chain(std::iter::repeat_n(None, pad))))
        }
        Space::Dict(items) => {
            let parts = items.iter().map(|(key, sub)| {
                let sub_values = values
                    .iter()
                    .map(|v| v.get(key).ok_or_else(|| format!("a Dict value lacks the key `{key}`: {v}")))
                    .collect::<ColumnResult<Vec<_>>>()?;
                Ok((key.clone(), encode(sub, &sub_values, pad)?))
            });
            struct_column(parts.collect::<ColumnResult<Vec<_>>>()?)?
        }
        // Minari stores a Tuple as a struct whose fields are named "0", "1", ...
        Space::Tuple(items) => {
            let parts = items.iter().enumerate().map(|(i, sub)| {
                let sub_values = values
                    .iter()
                    .map(|v| match v {
                        Value::Tuple(elements) if elements.len() == items.len() => Ok(&elements[i]),
                        v => Err(mismatch(space, v)),
                    })
                    .collect::<ColumnResult<Vec<_>>>()?;
                Ok((i.to_string(), encode(sub, &sub_values, pad)?))
            });
            struct_column(parts.collect::<ColumnResult<Vec<_>>>()?)?
        }
    })
}

/// A struct column of named child columns (a Dict's keys, a Tuple's positions).
fn struct_column(parts: Vec<(String, ArrayRef)>) -> ColumnResult<ArrayRef> {
    let fields: Vec<Field> = parts.iter().map(|(name, a)| Field::new(name, a.data_type().clone(), true)).collect();
    let arrays = parts.into_iter().map(|(_, a)| a).collect();
    Ok(Arc::new(StructArray::try_new(Fields::from(fields), arrays, None).map_err(|e| e.to_string())?))
}

fn mismatch(space: &Space, value: &Value) -> String {
    format!("{value} is not an element of {}", space.describe())
}

/// A `fixed_size_list<dtype>[size]` column of flattened array values.
fn fixed_list(dtype: DType, size: usize, space: &Space, values: &[&Value], pad: usize) -> ColumnResult<ArrayRef> {
    let mut numbers = Vec::with_capacity((values.len() + pad) * size);
    for v in values {
        let nums = v.to_f64_vec().filter(|n| n.len() == size).ok_or_else(|| mismatch(space, v))?;
        numbers.extend(nums);
    }
    numbers.resize((values.len() + pad) * size, 0.0);
    let child: ArrayRef = match dtype.array(numbers) {
        Value::F32(v) => Arc::new(PrimitiveArray::<Float32Type>::from(v)),
        Value::F64(v) => Arc::new(PrimitiveArray::<Float64Type>::from(v)),
        Value::U8(v) => Arc::new(PrimitiveArray::<UInt8Type>::from(v)),
        Value::I8(v) => Arc::new(PrimitiveArray::<Int8Type>::from(v)),
        Value::I64(v) => Arc::new(PrimitiveArray::<Int64Type>::from(v)),
        other => return Err(format!("cannot store {other} as a list")),
    };
    let item = Arc::new(Field::new("item", child.data_type().clone(), true));
    let list = FixedSizeListArray::try_new(item, size as i32, child, None).map_err(|e| e.to_string())?;
    Ok(Arc::new(list))
}

/// The first `rows` elements of `space` stored in `array`.
pub fn decode(space: &Space, array: &dyn Array, rows: usize) -> ColumnResult<Vec<Value>> {
    if array.len() < rows {
        return Err(format!("has {} rows, expected at least {rows}", array.len()));
    }
    match space {
        Space::Discrete { .. } => {
            let ints = downcast::<Int64Array>(array, "int64")?;
            (0..rows).map(|i| present(array, i).map(|_| Value::Int(ints.value(i)))).collect()
        }
        Space::Box(b) => decode_list(b.dtype, b.low.len(), array, rows),
        Space::MultiDiscrete { nvec, .. } => decode_list(DType::Int64, nvec.len(), array, rows),
        Space::MultiBinary { shape } => decode_list(DType::Int8, shape.iter().product(), array, rows),
        Space::Text { .. } => {
            let texts = downcast::<StringArray>(array, "string")?;
            (0..rows).map(|i| present(array, i).map(|_| Value::Text(texts.value(i).to_string()))).collect()
        }
        Space::Dict(items) => {
            let named: Vec<(String, &Space)> = items.iter().map(|(k, s)| (k.clone(), s)).collect();
            let columns = decode_fields(&named, array, rows)?;
            Ok((0..rows)
                .map(|i| Value::Dict(items.iter().zip(&columns).map(|((k, _), c)| (k.clone(), c[i].clone())).collect()))
                .collect())
        }
        Space::Tuple(items) => {
            let named: Vec<(String, &Space)> = items.iter().enumerate().map(|(i, s)| (i.to_string(), s)).collect();
            let columns = decode_fields(&named, array, rows)?;
            Ok((0..rows).map(|i| Value::Tuple(columns.iter().map(|c| c[i].clone()).collect())).collect())
        }
    }
}

/// The child columns of a struct column, decoded by their spaces, in the order given.
fn decode_fields(fields: &[(String, &Space)], array: &dyn Array, rows: usize) -> ColumnResult<Vec<Vec<Value>>> {
    let structs = downcast::<StructArray>(array, "struct")?;
    fields
        .iter()
        .map(|(name, sub)| {
            let column = structs.column_by_name(name).ok_or_else(|| format!("the struct has no field `{name}`"))?;
            decode(sub, column.as_ref(), rows).map_err(|e| format!("field `{name}`: {e}"))
        })
        .collect()
}

fn present(array: &dyn Array, row: usize) -> ColumnResult<()> {
    if array.is_null(row) {
        Err(format!("row {row} is null"))
    } else {
        Ok(())
    }
}

fn downcast<'a, T: 'static>(array: &'a dyn Array, expected: &str) -> ColumnResult<&'a T> {
    array.as_any().downcast_ref::<T>().ok_or_else(|| format!("has type {}, expected {expected}", array.data_type()))
}

fn decode_list(dtype: DType, size: usize, array: &dyn Array, rows: usize) -> ColumnResult<Vec<Value>> {
    let list = downcast::<FixedSizeListArray>(array, &format!("fixed_size_list<{}>[{size}]", dtype.name()))?;
    if list.value_length() as usize != size {
        return Err(format!("holds lists of {} numbers, expected {size}", list.value_length()));
    }
    let values = list.values();
    let rows_of = |make: &dyn Fn(usize) -> ColumnResult<Value>| -> ColumnResult<Vec<Value>> {
        (0..rows).map(|i| present(array, i).and_then(|_| make(list.value_offset(i) as usize))).collect()
    };
    match dtype {
        DType::Float32 => rows_of(&|at| Ok(Value::F32(slice::<Float32Type>(values, at, size, dtype)?.to_vec()))),
        DType::Float64 => rows_of(&|at| Ok(Value::F64(slice::<Float64Type>(values, at, size, dtype)?.to_vec()))),
        DType::UInt8 => rows_of(&|at| Ok(Value::U8(slice::<UInt8Type>(values, at, size, dtype)?.to_vec()))),
        DType::Int8 => rows_of(&|at| Ok(Value::I8(slice::<Int8Type>(values, at, size, dtype)?.to_vec()))),
        DType::Int64 => rows_of(&|at| Ok(Value::I64(slice::<Int64Type>(values, at, size, dtype)?.to_vec()))),
    }
}

fn slice<T: ArrowPrimitiveType>(values: &ArrayRef, at: usize, size: usize, dtype: DType) -> ColumnResult<&[T::Native]> {
    let prim = downcast::<PrimitiveArray<T>>(values.as_ref(), &format!("lists of {}", dtype.name()))?;
    prim.values().get(at..at + size).ok_or_else(|| "list values end early".to_string())
}

/// A column of numbers as f64: rewards are float64 when Minari writes floats but int64 when an
/// environment returned Python ints (MiniGrid's 0 reward), so every numeric type is read.
pub fn decode_numbers(array: &dyn Array, rows: usize) -> ColumnResult<Vec<f64>> {
    fn take<T: ArrowPrimitiveType>(array: &dyn Array, rows: usize, f: impl Fn(T::Native) -> f64) -> Option<Vec<f64>> {
        let prim = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
        Some(prim.values().iter().take(rows).map(|&x| f(x)).collect())
    }
    if array.len() < rows {
        return Err(format!("has {} rows, expected at least {rows}", array.len()));
    }
    if array.null_count() > 0 {
        return Err("holds nulls".into());
    }
    take::<Float64Type>(array, rows, |x| x)
        .or_else(|| take::<Float32Type>(array, rows, |x| x as f64))
        .or_else(|| take::<Int64Type>(array, rows, |x| x as f64))
        .or_else(|| take::<Int32Type>(array, rows, |x| x as f64))
        .ok_or_else(|| format!("has type {}, expected numbers", array.data_type()))
}

/// A boolean column.
pub fn decode_bools(array: &dyn Array, rows: usize) -> ColumnResult<Vec<bool>> {
    let bools = downcast::<BooleanArray>(array, "bool")?;
    if array.len() < rows {
        return Err(format!("has {} rows, expected at least {rows}", array.len()));
    }
    (0..rows).map(|i| present(array, i).map(|_| bools.value(i))).collect()
}
