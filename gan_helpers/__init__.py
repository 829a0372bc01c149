"""Helpers for the GAN course: data, models, losses, the GAN training step and plots.

Import the module you need, for example ``from gan_helpers import data, models``.
Importing the package has no side effects: it seeds nothing and changes no settings.
"""

__version__ = "0.1.0"
