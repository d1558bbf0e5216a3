from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """What BZPEER keeps about an account, in the account holder's hands:
    downloading it and deleting the account. Sign-up, login and e-mail
    addresses are django-allauth's."""

    name = "accounts"
