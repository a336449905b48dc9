package io.fleet.api.pipeline;

/** The stages a host goes through in a pipeline, in order. */
public enum PipelineStage {
  /** Evaluating the host's configuration (by the evaluator, with the others). */
  EVALUATE,
  /** Building the host's system (shared by hosts with the same system derivation). */
  BUILD,
  /** Deploying the built system to the host ({@code io.fleet.transport.Deployer}). */
  DEPLOY
}
