"""Device simulator of the local cloud: a synthetic cohort per tenant publishing device readings.

Modules, one job each: ``cohort`` (patients, baselines, devices, registry), ``rhythm`` (daily schedule,
missed measurements), ``deteriorations`` (episodes and who gets one), ``physiology`` (values and answers
at a moment), ``payloads`` (wire format, duplicates, bad payloads), ``simulation`` (all of it in
publishing order, with the ground truth), ``publisher`` (MQTT QoS 1 or JSON lines), ``runner`` (pacing,
summary), ``progress`` and ``cli``. Run ``python -m localcloud.simulator --help``.
"""

from localcloud.simulator.simulation import Settings, Simulation, simulate

__all__ = ["Settings", "Simulation", "simulate"]
