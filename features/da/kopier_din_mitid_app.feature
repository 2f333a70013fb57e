# language: da
# Hjælpesiden "Kopiér din MitID app til en anden telefon/tablet", trin for trin,
# skrevet på dansk. Trinene er de samme som i features/copy_your_mitid_app.feature;
# knapper og skærmtekster står i anførselstegn, som appen viser dem.
# `cargo run -- steps` viser den danske formulering under hvert trin ("dansk").
@copy @danish
Egenskab: Kopiér din MitID app til en anden telefon/tablet
  Hvis du vil kopiere din MitID app til en anden telefon eller tablet, kan du
  gøre det ved at scanne en QR-kode fra din eksisterende MitID app.

  Baggrund: Før du går i gang
    Givet min gamle telefon og MitID appen på den er opdateret
    Og MitID appen er downloadet på min nye telefon, og jeg har færre end tre aktive MitID apps
    Og Bluetooth er slået til på begge telefoner

  # Også en spærre for udgivelsen: en udgave, der springer ventetiden på 1 time
  # over eller deaktiverer den gamle app, når kopien er færdig, gør dette rødt.
  @rule-waiting-period @rule-old-app-stays-active
  @before-1 @before-2 @before-3
  @doc-1 @doc-2 @doc-3 @doc-4 @doc-5 @doc-6 @doc-7 @doc-8 @doc-9 @doc-10 @doc-11 @doc-12 @doc-13
  @doc-14 @doc-15 @doc-16 @doc-17 @doc-18 @doc-19 @doc-20 @doc-21 @doc-22 @doc-23 @doc-24 @doc-25 @doc-26
  Abstrakt Scenario: Jeg kopierer min MitID app til min nye telefon og godkender med biometri: <biometri>
    # På den gamle telefon, trin 1-12
    Når jeg åbner MitID appen på min gamle telefon og åbner menuen øverst på skærmen
    Og jeg trykker på "Activate"
    Og jeg trykker på "Copy your MitID to a new app"
    Og jeg læser informationen og trykker på "Next"
    Og jeg indtaster min PIN-kode
    Og jeg sætter flueben i "Yes, I want to copy" og trykker på "Start copying"
    Så er ventetiden startet
    Når jeg trykker på "OK" og lukker MitID appen, mens jeg venter
    Og der går 1 time
    Så får jeg en notifikation fra appen om, at ventetiden er slut
    Når jeg åbner MitID appen og trykker på "Show QR code" på skærmen 'Show QR code and copy MitID to the new app'
    Og jeg indtaster min PIN-kode
    Og jeg læser informationen på skærmen 'Bluetooth access is required' og trykker på "Next"
    Og jeg accepterer, at MitID appen bruger Bluetooth
    Så ser jeg en QR-kode, der er gyldig i 3 minutter
    # På den nye telefon, trin 13-26
    Når jeg åbner MitID appen på min nye telefon
    Og jeg trykker på "Get started" på skærmen 'Activate your MitID'
    Og jeg vælger "Copy from another MitID app" og trykker på "Next"
    Og jeg markerer "QR code is shown on the old app" og trykker på "Scan QR code"
    Og jeg trykker på "Next" på skærmen 'Bluetooth access is required'
    Og jeg accepterer, at MitID appen bruger Bluetooth
    Og jeg scanner QR-koden ved at holde min nye telefon op foran QR-koden på min gamle app
    Og jeg indtaster mit bruger-ID for at bekræfte min identitet og trykker på "Next"
    Og jeg indtaster den midlertidige PIN-kode, som jeg modtager på SMS
    Og jeg trykker på "Next" på skærmen 'Choose your personal PIN code'
    Og jeg opretter min personlige PIN-kode, trykker på "Next", gentager den og trykker på "Next"
    Og jeg vælger <biometri> til at godkende med biometri
    Og jeg accepterer notifikationer fra MitID appen
    Så ser jeg 'This app is now activated and ready to use' og trykker på "OK"
    # Bagefter: "Din MitID app på din gamle telefon/tablet er stadig aktiv."
    Og min MitID app på min gamle telefon er stadig aktiv

    @android-14
    Eksempler: Android-telefoner
      | biometri |
      | ja       |

    @ios
    Eksempler: iPhones
      | biometri |
      | nej      |

    @old-ios @new-android
    Eksempler: Fra en iPhone til en Android-telefon
      | biometri |
      | nej      |

    @old-android @new-ios
    Eksempler: Fra en Android-telefon til en iPhone
      | biometri |
      | ja       |
