package io.fleet.api.data;

import java.util.function.UnaryOperator;

/**
 * Loads and saves {@link FleetData}. Implementations: {@link JsonFleetDataStore} here, and {@code
 * io.fleet.nix.FleetNixFile} for the original's {@code fleet.nix}.
 *
 * <p>Contract: {@link #save} is atomic (a reader sees the old or the new content, never a mix, even
 * if the process dies part way) and refuses, with a {@link io.fleet.api.FleetConfigException}, to
 * overwrite a file that changed since this store last loaded or saved it. Stores are safe to use
 * from several threads.
 */
public interface FleetDataStore {
  /**
   * Loads the data; an absent file gives {@link FleetData#empty()}.
   *
   * @throws io.fleet.api.FleetConfigException if the content is malformed (with its position)
   */
  FleetData load();

  /**
   * Saves {@code data} atomically.
   *
   * @throws io.fleet.api.FleetConfigException if the file changed since the last load or save
   */
  void save(FleetData data);

  /** Loads, applies {@code change}, saves, and returns what was saved. */
  default FleetData update(UnaryOperator<FleetData> change) {
    synchronized (this) {
      FleetData updated = change.apply(load());
      save(updated);
      return updated;
    }
  }
}
