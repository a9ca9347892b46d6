//! limbic-agents: policies, learners, working memory and hierarchical controllers.
//!
//! Nothing is implemented here yet: the learners arrive with the training issue. The crate exists
//! so the workspace already has the shape `environments <- agents <- rewards <- limbic`.
