package dev.perfkit.monitor.micrometer;

import static java.util.Objects.requireNonNull;

import dev.perfkit.internal.WarnThenDebug;
import dev.perfkit.monitor.Alert;
import dev.perfkit.monitor.AlertListener;
import dev.perfkit.monitor.AlertRule;
import dev.perfkit.monitor.Severity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Judges alert rules. Each level (warning, critical) of each rule is its own small state machine:
 *
 *   OK --breach--> PENDING --breach held for forDuration--> FIRING --clear--> CLEARING
 *   PENDING --no breach--> OK          CLEARING --clear held for forDuration--> OK (resolved)
 *                                      CLEARING --not clear--> FIRING
 *
 * "clear" is stricter than "no breach": the value must be past the threshold by the rule's
 * hysteresis, so a value hovering at the threshold neither resolves nor re-fires. NaN (no data)
 * resets PENDING and leaves FIRING/CLEARING alone. Evaluations are serialized; transitions are
 * logged once and then delivered to listeners outside the lock.
 */
final class AlertEngine {
    private static final Logger log = LoggerFactory.getLogger(AlertEngine.class);
    private static final Comparator<Alert> CRITICAL_FIRST =
            Comparator.comparing(Alert::severity).reversed().thenComparing(Alert::rule);

    private final Clock clock;
    private final Map<String, RuleState> rules = new LinkedHashMap<>();
    private final List<AlertListener> listeners = new CopyOnWriteArrayList<>();
    private final WarnThenDebug ruleFailures = new WarnThenDebug(log);
    private final Object evaluation = new Object();
    private volatile List<Alert> active = List.of();
    private volatile List<AlertRule> ruleList = List.of();

    AlertEngine(Clock clock) {
        this.clock = clock;
    }

    void addRule(AlertRule rule) {
        requireNonNull(rule, "rule");
        synchronized (evaluation) {
            if (rules.containsKey(rule.name())) {
                throw new IllegalArgumentException("an alert rule named '" + rule.name() + "' exists already");
            }
            rules.put(rule.name(), new RuleState(rule));
            ruleList = rules.values().stream().map(state -> state.rule).toList();
        }
    }

    boolean removeRule(String name) {
        requireNonNull(name, "name");
        List<Alert> resolved = new ArrayList<>();
        synchronized (evaluation) {
            RuleState removed = rules.remove(name);
            if (removed == null) {
                return false;
            }
            for (LevelState level : removed.levels) {
                if (level.alert != null) {
                    resolved.add(level.alert);
                }
            }
            ruleList = rules.values().stream().map(state -> state.rule).toList();
            publishActive();
        }
        resolved.forEach(alert -> deliver(alert, false));
        return true;
    }

    List<AlertRule> rules() {
        return ruleList;
    }

    void addListener(AlertListener listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    List<Alert> active() {
        return active;
    }

    List<Alert> evaluate() {
        List<Transition> transitions = new ArrayList<>();
        synchronized (evaluation) {
            Instant now = clock.instant();
            for (RuleState state : rules.values()) {
                double value = read(state.rule);
                for (LevelState level : state.levels) {
                    level.step(state.rule, value, now, transitions);
                }
            }
            publishActive();
        }
        for (Transition transition : transitions) {
            deliver(transition.alert, transition.firing);
        }
        return active;
    }

    private void publishActive() {
        List<Alert> firing = new ArrayList<>();
        for (RuleState state : rules.values()) {
            for (LevelState level : state.levels) {
                if (level.alert != null) {
                    firing.add(level.alert);
                }
            }
        }
        firing.sort(CRITICAL_FIRST);
        active = List.copyOf(firing);
    }

    private double read(AlertRule rule) {
        try {
            return rule.value().getAsDouble();
        } catch (RuntimeException | LinkageError e) {
            ruleFailures.log("Alert rule '" + rule.name() + "' could not read its value; treating it as no data", e);
            return Double.NaN;
        }
    }

    private void deliver(Alert alert, boolean firing) {
        if (firing) {
            if (alert.severity() == Severity.CRITICAL) {
                log.error("Alert firing: {}", alert.message());
            } else {
                log.warn("Alert firing: {}", alert.message());
            }
        } else {
            log.info("Alert resolved: {} {} (last value {})", alert.severity(), alert.rule(), alert.value());
        }
        for (AlertListener listener : listeners) {
            try {
                if (firing) {
                    listener.onFiring(alert);
                } else {
                    listener.onResolved(alert);
                }
            } catch (RuntimeException | LinkageError e) {
                log.warn("Alert listener {} failed on {}; continuing", listener, alert.rule(), e);
            }
        }
    }

    static String message(AlertRule rule, Severity severity, double value, double threshold) {
        String side = rule.direction() == AlertRule.Direction.ABOVE ? "above" : "below";
        return String.format(
                Locale.ROOT,
                "%s %s: %s, %s threshold %s %s",
                severity,
                rule.name(),
                format(value, rule.unit()),
                severity.name().toLowerCase(Locale.ROOT),
                side,
                format(threshold, rule.unit()));
    }

    private static String format(double value, String unit) {
        String number = value == Math.rint(value) && Math.abs(value) < 1e15
                ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.2f", value);
        return unit.isEmpty() ? number : unit.equals("%") ? number + "%" : number + " " + unit;
    }

    private record Transition(Alert alert, boolean firing) {}

    private static final class RuleState {
        final AlertRule rule;
        final List<LevelState> levels = new ArrayList<>();

        RuleState(AlertRule rule) {
            this.rule = rule;
            if (!Double.isNaN(rule.critical())) {
                levels.add(new LevelState(Severity.CRITICAL));
            }
            if (!Double.isNaN(rule.warning())) {
                levels.add(new LevelState(Severity.WARNING));
            }
        }
    }

    private static final class LevelState {
        final Severity severity;
        Instant breachSince; // PENDING or FIRING: when the condition started to hold
        Instant clearSince; // CLEARING: when the value went clear
        Alert alert; // FIRING or CLEARING

        LevelState(Severity severity) {
            this.severity = severity;
        }

        private Alert alert(AlertRule rule, double value, double threshold) {
            return new Alert(
                    rule.name(), severity, value, threshold, breachSince, message(rule, severity, value, threshold));
        }

        void step(AlertRule rule, double value, Instant now, List<Transition> transitions) {
            double threshold = rule.threshold(severity);
            if (Double.isNaN(value)) {
                if (alert == null) {
                    breachSince = null;
                }
                return;
            }
            boolean above = rule.direction() == AlertRule.Direction.ABOVE;
            boolean breach = above ? value > threshold : value < threshold;
            double margin = Math.abs(threshold) * rule.hysteresis();
            boolean clear = above ? value <= threshold - margin : value >= threshold + margin;
            Duration hold = rule.forDuration();
            if (alert == null) {
                if (!breach) {
                    breachSince = null;
                    return;
                }
                if (breachSince == null) {
                    breachSince = now;
                }
                if (!Duration.between(breachSince, now).minus(hold).isNegative()) {
                    alert = alert(rule, value, threshold);
                    clearSince = null;
                    transitions.add(new Transition(alert, true));
                }
                return;
            }
            if (!clear) {
                clearSince = null;
                alert = alert(rule, value, threshold);
                return;
            }
            if (clearSince == null) {
                clearSince = now;
            }
            if (!Duration.between(clearSince, now).minus(hold).isNegative()) {
                Alert resolved = alert;
                alert = null;
                breachSince = null;
                clearSince = null;
                transitions.add(new Transition(resolved, false));
            }
        }
    }
}
