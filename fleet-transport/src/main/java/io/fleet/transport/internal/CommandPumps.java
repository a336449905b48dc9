package io.fleet.transport.internal;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The three copies that connect a running command to its caller, each on a pump thread: the
 * caller's input into the command (closing the command's input at its end), the command's error
 * output into a capture, and its output into the caller's stream.
 */
final class CommandPumps {
  final Future<?> feed;
  final Future<?> errors;
  final Future<?> out;

  private CommandPumps(Future<?> feed, Future<?> errors, Future<?> out) {
    this.feed = feed;
    this.errors = errors;
    this.out = out;
  }

  static CommandPumps start(
      ExecutorService pumps,
      InputStream stdin,
      OutputStream commandIn,
      InputStream commandErr,
      OutputStream stderr,
      InputStream commandOut,
      OutputStream stdout) {
    Future<?> feed =
        pumps.submit(
            () -> {
              try (OutputStream in = commandIn) {
                Pump.copy(stdin, in, null);
              }
              return null;
            });
    Future<?> errors =
        pumps.submit(
            () -> {
              Pump.copy(commandErr, stderr, null);
              return null;
            });
    Future<?> out =
        pumps.submit(
            () -> {
              Pump.copy(commandOut, stdout, null);
              return null;
            });
    return new CommandPumps(feed, errors, out);
  }
}
