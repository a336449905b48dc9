/**
 * Deployment plans, reports and events, and the NixOS host protocol. The value types live in
 * fleet-api (not fleet-transport) so that the testkit, which depends on the API only, can assert on
 * reports and interpret the protocol; {@code io.fleet.transport.Deployer} makes and runs plans.
 */
package io.fleet.api.deploy;
