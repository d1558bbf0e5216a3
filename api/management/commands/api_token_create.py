"""An API token for an account, by its e-mail address (the token is printed
once; running it again prints the same token, ``--rotate`` makes a new
one)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print the API token of the account with this e-mail address."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace the account's token."
        )

    def handle(self, *args, email, rotate, **options):
        users = get_user_model().objects.filter(email__iexact=email.strip())
        if users.count() != 1:
            raise CommandError(f"No single account with the address {email!r}.")
        user = users.get()
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
