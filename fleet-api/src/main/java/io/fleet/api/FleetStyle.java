package io.fleet.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.immutables.value.Value;

/**
 * The one Immutables style of the project.
 *
 * <p>Value types are public abstract classes ({@code Host}); the generated {@code ImmutableHost}
 * stays package-private and every type exposes a static {@code builder()} and a nested {@code
 * Builder} that extends the generated one, so users never see {@code Immutable*} names and the DSL
 * can add convenience methods to builders.
 */
@Target({ElementType.PACKAGE, ElementType.TYPE})
@Retention(RetentionPolicy.CLASS)
@Value.Style(
    visibility = Value.Style.ImplementationVisibility.PACKAGE,
    overshadowImplementation = true,
    defaults = @Value.Immutable(copy = true),
    jdkOnly = false,
    get = {"is*", "get*"},
    redactedMask = "****")
public @interface FleetStyle {}
