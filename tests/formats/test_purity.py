import subprocess
import sys


def test_formats_is_a_pure_library():
    """choeur.formats imports no Django: the worker, the CLI and other programs use it alone."""
    code = ("import sys, choeur.formats, choeur.formats.cli, choeur.formats.readers; "
            "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "False", result.stderr
