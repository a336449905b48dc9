package io.fleet.api.pipeline;

/**
 * Receives every {@link PipelineEvent} of a pipeline run, in the order the pipeline recorded them,
 * from one thread of the pipeline's (never concurrently). Implementations should be quick; an
 * exception thrown by a listener is logged and otherwise ignored.
 */
@FunctionalInterface
public interface PipelineListener {
  /** A listener that ignores everything. */
  PipelineListener NONE = e -> {};

  /** Called for each event. */
  void onEvent(PipelineEvent event);
}
