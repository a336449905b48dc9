package io.fleet.transport.internal;

/**
 * A step of a {@link HostRun} after the copy (arming, activation, health checks, confirmation): it
 * works on the run's context over its link, and rolls the host back when it fails.
 */
abstract class HostRunStep {
  final HostRunContext ctx;
  final HostLink link;
  final Rollback rollback;

  HostRunStep(HostRunContext ctx, HostLink link, Rollback rollback) {
    this.ctx = ctx;
    this.link = link;
    this.rollback = rollback;
  }
}
