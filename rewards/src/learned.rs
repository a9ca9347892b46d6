//! A learned reward `r(s, a)`: an ensemble of [`PairScorer`]s fit to a teacher's labels, by the
//! Bradley-Terry loss on preferred segments (Christiano et al. 2017) or by regression on
//! credited evaluative feedback (TAMER's model of the teacher, Knox & Stone 2009).

use crate::feedback::{Answer, Clip};
use crate::models::{minibatches, upload, valid_slots, ActionCoding, Archive, Means, PairScorer, Trainer, SCORE_CHUNK};
use burn::prelude::*;
use limbic_agents::nets::{download, EncoderKind};
use limbic_agents::shaping::Transitions;
use limbic_agents::Result;
use limbic_environments::rng::Generator;
use std::sync::Arc;

/// Two segments shown together.
pub type ClipPair = (Arc<Clip>, Arc<Clip>);

/// Two segments and how much the teacher preferred the left one (1 left, 0 right, 0.5 equal).
#[derive(Clone, Debug)]
pub struct Preference {
    pub left: Arc<Clip>,
    pub right: Arc<Clip>,
    pub left_wins: f32,
}

impl Preference {
    /// The preference an answer states (`None` for a skip or a score).
    pub fn from_answer(left: Arc<Clip>, right: Arc<Clip>, answer: Answer) -> Option<Preference> {
        let left_wins = match answer {
            Answer::Left => 1.0,
            Answer::Right => 0.0,
            Answer::Equal => 0.5,
            Answer::Skip | Answer::Score { .. } => return None,
        };
        Some(Preference { left, right, left_wins })
    }
}

/// State-action rows with a regression target each.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub obs: Vec<f32>,
    pub actions: Vec<f32>,
    pub values: Vec<f32>,
}

/// The ensemble; see the [module docs](self).
pub struct RewardEnsemble {
    obs_dim: usize,
    coding: ActionCoding,
    members: Vec<Trainer<PairScorer>>,
}

impl RewardEnsemble {
    pub fn new(
        kind: EncoderKind,
        coding: ActionCoding,
        hidden: &[usize],
        size: usize,
        learning_rate: f64,
        rng: &mut Generator,
    ) -> Result<RewardEnsemble> {
        let device = Device::flex().autodiff();
        let members = (0..size)
            .map(|_| Ok(Trainer::new(PairScorer::new(kind, hidden, coding.width(), rng, &device)?, learning_rate)))
            .collect::<Result<_>>()?;
        Ok(RewardEnsemble { obs_dim: kind.obs_dim(), coding, members })
    }

    /// `obs` `[rows, D]` and stored actions `[rows, A]` as tensors on `device`.
    fn upload_rows(&self, obs: &[f32], actions: &[f32], device: &Device) -> Result<(Tensor<2>, Tensor<2>)> {
        let (stored, width) = (self.coding.stored_width(), self.coding.width());
        let rows = obs.len() / self.obs_dim.max(1);
        let mut encoded = vec![0.0f32; rows * width];
        for (out, action) in encoded.chunks_exact_mut(width).zip(actions.chunks_exact(stored)) {
            self.coding.encode(action, out)?;
        }
        Ok((upload(obs.to_vec(), self.obs_dim, device), upload(encoded, width, device)))
    }

    /// Every member's reward of each row: `[member][row]`.
    pub fn predict(&mut self, obs: &[f32], actions: &[f32]) -> Result<Vec<Vec<f32>>> {
        let (d, a) = (self.obs_dim, self.coding.stored_width());
        let rows = obs.len() / d.max(1);
        let device = Device::flex();
        let mut out = vec![Vec::with_capacity(rows); self.members.len()];
        for start in (0..rows).step_by(SCORE_CHUNK) {
            let end = (start + SCORE_CHUNK).min(rows);
            let (o, act) = self.upload_rows(&obs[start * d..end * d], &actions[start * a..end * a], &device)?;
            for (member, scores) in self.members.iter_mut().zip(&mut out) {
                scores.extend(download(member.inference().forward(o.clone(), act.clone()))?);
            }
        }
        Ok(out)
    }

    /// The ensemble's mean reward of each row.
    pub fn mean(&mut self, obs: &[f32], actions: &[f32]) -> Result<Vec<f32>> {
        let per_member = self.predict(obs, actions)?;
        let n = per_member.len() as f32;
        let rows = per_member.first().map_or(0, Vec::len);
        Ok((0..rows).map(|r| per_member.iter().map(|m| m[r]).sum::<f32>() / n).collect())
    }

    /// The ensemble's mean reward of every valid slot of `batch` into `out` (the other slots
    /// are left as they are).
    pub fn score(&mut self, batch: &Transitions, out: &mut [f32]) -> Result<()> {
        let slots = valid_slots(batch);
        let obs: Vec<f32> = slots.iter().flat_map(|&s| batch.obs_row(s).to_vec()).collect();
        let actions: Vec<f32> = slots.iter().flat_map(|&s| batch.action_row(s).to_vec()).collect();
        slots.iter().zip(self.mean(&obs, &actions)?).for_each(|(&s, r)| out[s] = r);
        Ok(())
    }

    /// Each member's probability that the left segment of each pair is better.
    pub fn preference_probabilities(&mut self, pairs: &[ClipPair]) -> Result<Vec<Vec<f64>>> {
        let (mut obs, mut actions, mut bounds) = (Vec::new(), Vec::new(), Vec::new());
        for (left, right) in pairs {
            for clip in [left, right] {
                bounds.push((obs.len() / self.obs_dim.max(1), clip.len));
                obs.extend_from_slice(&clip.obs);
                actions.extend_from_slice(&clip.actions);
            }
        }
        let rewards = self.predict(&obs, &actions)?;
        let sum =
            |r: &[f32], (start, len): (usize, usize)| r[start..start + len].iter().map(|&x| x as f64).sum::<f64>();
        Ok(rewards
            .iter()
            .map(|r| bounds.chunks_exact(2).map(|b| 1.0 / (1.0 + (sum(r, b[1]) - sum(r, b[0])).exp())).collect())
            .collect())
    }

    /// Fits every member to `preferences` with the Bradley-Terry loss, `epochs` passes in
    /// minibatches of `batch_size` pairs, each member in its own order; returns `loss` and
    /// `accuracy` (on the pairs with a winner).
    pub fn fit_preferences(
        &mut self,
        preferences: &[Preference],
        epochs: usize,
        batch_size: usize,
        rng: &mut Generator,
    ) -> Result<Means> {
        let mut means = Means::default();
        let all: Vec<usize> = (0..preferences.len()).collect();
        for m in 0..self.members.len() {
            for chunk in minibatches(&all, epochs, batch_size, rng) {
                let pairs: Vec<&Preference> = chunk.iter().map(|&i| &preferences[i]).collect();
                let (loss, accuracy) = self.preference_loss(m, &pairs)?;
                means.add("loss", self.members[m].step(loss, "preference reward model loss")?);
                if let Some(accuracy) = accuracy {
                    means.add("accuracy", accuracy);
                }
            }
        }
        Ok(means)
    }

    /// Member `m`'s Bradley-Terry loss on `pairs`, and its accuracy on those with a winner.
    fn preference_loss(&self, m: usize, pairs: &[&Preference]) -> Result<(Tensor<1>, Option<f64>)> {
        let model = &self.members[m].model;
        let device = model.head.out.weight.val().device();
        let (mut obs, mut actions, mut segments) = (Vec::new(), Vec::new(), Vec::new());
        for p in pairs {
            for clip in [&p.left, &p.right] {
                segments.push((obs.len() / self.obs_dim.max(1), clip.len));
                obs.extend_from_slice(&clip.obs);
                actions.extend_from_slice(&clip.actions);
            }
        }
        let rows = obs.len() / self.obs_dim.max(1);
        // Segment sums as one product: membership [2B, rows] x rewards [rows, 1].
        let mut membership = vec![0.0f32; segments.len() * rows];
        for (i, &(start, len)) in segments.iter().enumerate() {
            membership[i * rows + start..i * rows + start + len].fill(1.0);
        }
        let (o, a) = self.upload_rows(&obs, &actions, &device)?;
        let membership = Tensor::<2>::from_data(TensorData::new(membership, [segments.len(), rows]), &device);
        let sums = membership.matmul(model.forward(o, a)).reshape([pairs.len(), 2]);
        let logits = (sums.clone().narrow(1, 0, 1) - sums.narrow(1, 1, 1)).reshape([pairs.len()]);
        let targets: Vec<f32> = pairs.iter().map(|p| p.left_wins).collect();
        let accuracy = {
            let values = download(logits.clone().detach())?;
            let decided: Vec<(f32, f32)> =
                values.iter().zip(&targets).filter(|(_, &t)| t != 0.5).map(|(&l, &t)| (l, t)).collect();
            (!decided.is_empty())
                .then(|| decided.iter().filter(|(l, t)| (*l > 0.0) == (*t > 0.5)).count() as f64 / decided.len() as f64)
        };
        let t = Tensor::<1>::from_data(TensorData::new(targets, [pairs.len()]), &device);
        // Cross-entropy with soft targets: t * softplus(-x) + (1 - t) * softplus(x).
        let softplus = |x: Tensor<1>| burn::tensor::activation::softplus(x, 1.0);
        let loss = t.clone() * softplus(logits.clone().neg()) + (t.neg().add_scalar(1.0)) * softplus(logits);
        Ok((loss.mean(), accuracy))
    }

    /// Fits every member to `targets` by squared error; returns `loss`.
    pub fn fit_targets(
        &mut self,
        targets: &Targets,
        epochs: usize,
        batch_size: usize,
        rng: &mut Generator,
    ) -> Result<Means> {
        let mut means = Means::default();
        let (d, a) = (self.obs_dim, self.coding.stored_width());
        let all: Vec<usize> = (0..targets.values.len()).collect();
        for m in 0..self.members.len() {
            for chunk in minibatches(&all, epochs, batch_size, rng) {
                let device = self.members[m].model.head.out.weight.val().device();
                let obs: Vec<f32> = chunk.iter().flat_map(|&i| targets.obs[i * d..(i + 1) * d].to_vec()).collect();
                let act: Vec<f32> = chunk.iter().flat_map(|&i| targets.actions[i * a..(i + 1) * a].to_vec()).collect();
                let values: Vec<f32> = chunk.iter().map(|&i| targets.values[i]).collect();
                let (o, act) = self.upload_rows(&obs, &act, &device)?;
                let y = Tensor::<1>::from_data(TensorData::new(values, [chunk.len()]), &device);
                let predicted = self.members[m].model.forward(o, act).reshape([chunk.len()]);
                let loss = (predicted - y).square().mean();
                means.add("loss", self.members[m].step(loss, "feedback model loss")?);
            }
        }
        Ok(means)
    }

    pub fn save(&self, archive: &mut Archive) -> Result<()> {
        self.members.iter().enumerate().try_for_each(|(i, m)| m.save(&format!("member{i}"), archive))
    }

    /// Reads what [`RewardEnsemble::save`] wrote; nothing changes on error.
    pub fn load(&mut self, archive: &Archive) -> Result<()> {
        let mut members: Vec<Trainer<PairScorer>> = self.members.clone();
        for (i, m) in members.iter_mut().enumerate() {
            m.load(&format!("member{i}"), archive)?;
        }
        self.members = members;
        Ok(())
    }
}
