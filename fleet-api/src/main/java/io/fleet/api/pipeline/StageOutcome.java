package io.fleet.api.pipeline;

/** How one stage of one host ended. */
public enum StageOutcome {
  /** The stage ran and succeeded (for {@link PipelineStage#DEPLOY}: confirmed or uploaded). */
  SUCCEEDED,
  /** The stage ran and failed; {@link StageReport#error()} says why. */
  FAILED,
  /**
   * The stage did not run: an earlier stage of the host failed, or the fleet was stopped (failure
   * policy {@link FailurePolicy#STOP_FLEET}, or a failed canary).
   */
  SKIPPED,
  /** The stage did not run or was stopped part way because the caller was interrupted. */
  CANCELLED,
  /**
   * The deployment was confirmed, then undone by fleet policy because another host failed ({@code
   * FleetPipeline.Run.rollbackSucceededOnFailure}); the host's report says where it ended.
   */
  REVERTED;

  /** Whether the stage succeeded. */
  public boolean isSuccess() {
    return this == SUCCEEDED;
  }
}
