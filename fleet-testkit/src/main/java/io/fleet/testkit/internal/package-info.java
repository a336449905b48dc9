/** The testkit's internals: the strict shell word parser, the fake NAR stream, OpenSSH keys. */
package io.fleet.testkit.internal;
