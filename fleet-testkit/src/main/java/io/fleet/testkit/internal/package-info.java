/**
 * The testkit's internals: a fake host's NixOS state ({@link
 * io.fleet.testkit.internal.FakeHostState}) and its interpreter of the host protocol ({@link
 * io.fleet.testkit.internal.FakeHostProtocol}), the strict shell word parser, the fake NAR stream,
 * OpenSSH keys.
 */
package io.fleet.testkit.internal;
