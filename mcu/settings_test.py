"""Settings for the test suite: production settings with a throwaway secret and fast hashing.

Everything else (DATABASE_URL, REDIS_URL) still comes from the environment, so ``make test``
runs against PostgreSQL and Redis when they are given, SQLite otherwise.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Test runs must not pick up a developer's broker folders or database under var/.
os.environ.setdefault(
    "VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test")
)

from mcu.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests create hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
