"""Choosing the torch device, waiting for it, and recognising out-of-memory errors."""

from __future__ import annotations


class DeviceError(RuntimeError):
    """The requested device does not exist on this machine."""


def available_devices() -> list[str]:
    """Devices usable here, best first (CUDA, then Apple MPS, then CPU)."""
    import torch

    devices = [f"cuda:{i}" if i else "cuda" for i in range(torch.cuda.device_count())] \
        if torch.cuda.is_available() else []
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return [*devices, "cpu"]


def choose_device(requested: str | None = None) -> str:
    """``requested`` if it exists here, or the best available for None/``auto``."""
    devices = available_devices()
    if requested in (None, "", "auto"):
        return devices[0]
    name = requested.strip().lower()
    if name == "cuda:0":
        name = "cuda"
    if name not in devices:
        raise DeviceError(f"device {requested!r} is not available here; "
                          f"available: {', '.join(devices)}")
    return name


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA's ``OutOfMemoryError``, or the RuntimeError MPS and older torch raise instead."""
    import torch

    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def synchronize(device: str) -> None:
    """Wait for ``device``'s queued work (CUDA runs asynchronously), so that a clock read
    after it measures the work; nothing to wait for on the CPU."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()
