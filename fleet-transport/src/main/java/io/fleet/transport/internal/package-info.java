/**
 * The deployer's internals: {@link io.fleet.transport.internal.HostRun} deploys one host (with its
 * package-private steps: arming, activation, health checks, confirmation and rollback, sharing one
 * per-host context and connection), {@link io.fleet.transport.internal.ClosureCopy} copies the
 * paths a host lacks. The commands they send are in {@link io.fleet.api.deploy.HostProtocol}
 * (fleet-api), where the testkit's fake hosts can read them too. Not API.
 */
package io.fleet.transport.internal;
