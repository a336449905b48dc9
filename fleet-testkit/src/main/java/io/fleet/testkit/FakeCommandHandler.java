package io.fleet.testkit;

import io.fleet.api.spi.CommandResult;
import java.util.Optional;

/**
 * Teaches fake hosts a command they do not know, such as a secret re-encryption pipeline or a
 * user's health check. Register one on a host ({@link FakeHost#onCommand}), on a whole fake fleet
 * ({@code FakeFleet.Builder.handler}), or for every fake host with {@code ServiceLoader} (a {@code
 * META-INF/services/io.fleet.testkit.FakeCommandHandler} entry). Handlers are asked in that order;
 * the first that returns a result wins. A command no handler takes fails with {@code
 * UNSUPPORTED_COMMAND}.
 *
 * <p>Handlers run while the host is locked; they may read and write the host's files ({@link
 * FakeHost#readFile}, {@link FakeHost#writeFile}) and use its key ({@link
 * FakeHost#privateKeyOpenSsh()}).
 */
@FunctionalInterface
public interface FakeCommandHandler {
  /** The result of {@code command} on {@code host}, or empty if this handler does not know it. */
  Optional<CommandResult> handle(FakeHost host, FakeCommand command);
}
