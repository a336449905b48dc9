/**
 * The streaming pipeline's values: stages, events, listeners and reports. A pipeline ({@code
 * io.fleet.transport.FleetPipeline}) builds each host as soon as it is evaluated and deploys it as
 * soon as it is built, instead of evaluating all hosts, then building all, then deploying all.
 * These types live in fleet-api so that the testkit and users' own tests can assert on them.
 */
package io.fleet.api.pipeline;
