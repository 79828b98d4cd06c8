"""``manage.py api_token create|list|revoke`` — tokens for the systems that read the API.

    python manage.py api_token create --name cur-yugra --region 86 \
        [--personal-data] [--expires-days 365] [--rate 600]
    python manage.py api_token create --name kc-lensky --municipality lensky --municipality askiz
    python manage.py api_token list
    python manage.py api_token revoke cur-yugra

``create`` prints what the token may do and then the token itself, alone on the last line (so
``… | tail -n 1`` captures it). Only its SHA-256 is stored: the token cannot be shown again.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import ApiToken
from api.tokens import TokenError, api_token_create, api_token_revoke, token_scope_label


class Command(BaseCommand):
    help = "Токены API для систем ЦУР: create, list, revoke."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="новый токен (показывается один раз)")
        create.add_argument("--name", required=True, help="название системы-потребителя")
        scope = create.add_mutually_exclusive_group(required=True)
        scope.add_argument(
            "--region", action="append", default=[], help="код субъекта РФ (или slug); повторяемый"
        )
        scope.add_argument(
            "--municipality", action="append", default=[], help="slug МО; повторяемый"
        )
        create.add_argument(
            "--personal-data", action="store_true", help="видит ФИО, контакты и точный адрес"
        )
        create.add_argument("--expires-days", type=int, default=None, help="срок действия, дней")
        create.add_argument(
            "--rate", type=int, default=None, help="запросов в минуту (по умолчанию 600)"
        )
        commands.add_parser("list", help="все токены, без секретов")
        revoke = commands.add_parser("revoke", help="отозвать действующий токен по названию")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"do_{options['action']}")(options)
        except TokenError as error:
            raise CommandError(str(error)) from None

    def do_create(self, options: dict[str, Any]) -> None:
        issued = api_token_create(
            name=options["name"],
            region_codes=options["region"],
            municipality_slugs=options["municipality"],
            personal_data=options["personal_data"],
            expires_days=options["expires_days"],
            rate_per_minute=options["rate"],
        )
        token = issued.token
        self.stdout.write(f"Токен «{token.name}» создан.")
        self.stdout.write(f"  охват: {token_scope_label(token)}")
        self.stdout.write(f"  персональные данные: {'да' if token.personal_data else 'нет'}")
        expires = f"{token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "бессрочно"
        self.stdout.write(f"  действует до: {expires}; запросов в минуту: {token.rate_per_minute}")
        self.stdout.write("Сохраните токен сейчас — он не хранится и больше не будет показан:")
        self.stdout.write(issued.secret)

    def do_list(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        tokens = ApiToken.objects.prefetch_related("regions", "municipalities").order_by(
            "name", "-created_at"
        )
        if not tokens:
            self.stdout.write("Токенов нет.")
            return
        for token in tokens:
            if token.revoked_at:
                state = f"отозван {token.revoked_at:%Y-%m-%d}"
            elif token.expires_at and token.expires_at <= now:
                state = f"истёк {token.expires_at:%Y-%m-%d}"
            else:
                state = "действует"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "—"
            self.stdout.write(
                f"{token.name}\t{token.prefix}…\t{state}\t"
                f"ПДн: {'да' if token.personal_data else 'нет'}\t"
                f"последний запрос: {used}\t{token_scope_label(token)}"
            )

    def do_revoke(self, options: dict[str, Any]) -> None:
        token = api_token_revoke(name=options["name"])
        self.stdout.write(f"Токен «{token.name}» ({token.prefix}…) отозван.")
