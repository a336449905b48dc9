package io.fleet.api.spi;

import io.fleet.api.FleetException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** {@link ServiceLoader} discovery of SPI implementations, as the SPIs' {@code discover()} use. */
public final class Services {
  private Services() {}

  /**
   * The first registered implementation of {@code type}.
   *
   * @param hint what to do when there is none, for the message
   * @throws FleetException if none is registered
   */
  public static <T> T discover(Class<T> type, String hint) {
    for (T t : ServiceLoader.load(type, type.getClassLoader())) {
      return t;
    }
    throw new FleetException("no implementation of " + type.getName() + " found: " + hint);
  }

  /** Every registered implementation of {@code type}. */
  public static <T> List<T> discoverAll(Class<T> type) {
    List<T> all = new ArrayList<>();
    ServiceLoader.load(type, type.getClassLoader()).forEach(all::add);
    return all;
  }
}
