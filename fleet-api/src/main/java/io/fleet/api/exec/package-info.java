/**
 * Running a command or script on many hosts at once: the per-host results, the fleet-wide report
 * (JSON with {@link io.fleet.api.exec.ExecReport#toJson()}) and progress events. {@code
 * io.fleet.transport.FleetExec} runs them. The value types live in fleet-api so that tools and the
 * testkit can read reports without the transport.
 */
package io.fleet.api.exec;
