//! Where experience waits for a learner: on-policy [`rollout`]s (with recurrent states and
//! sequence minibatches), the off-policy [`replay`] buffer, and the running statistics of
//! observation and reward [`normalize`]rs.

pub mod normalize;
pub mod replay;
pub mod rollout;
