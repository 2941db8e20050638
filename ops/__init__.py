"""Operations: the app for operators' commands (``manage.py backup``, ``restore``,
``ensure_admin``), above the forum and accounts it works on."""
