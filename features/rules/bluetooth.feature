# Steps 10-11 and 17-19: "To ensure that you are the one scanning the QR
# code, MitID requires the use of Bluetooth." Release gates for Bluetooth
# proximity, the Bluetooth permission and location on older Android (@rule-…).
@rules
Feature: Bluetooth makes sure that I am the one scanning the QR code
  To ensure that you are the one scanning the QR code, MitID requires the
  use of Bluetooth. Accept that the MitID app uses Bluetooth - and for older
  versions of Android phones, also accept access to location.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @rule-bluetooth-proximity @doc-19
  Scenario: A new phone out of Bluetooth range of my old phone cannot use its QR code, and can once it is close
    Given I have followed steps 1 to 18
    But my new phone is out of Bluetooth range of my old phone
    When I scan the QR code by holding my new phone up to the QR code on my old app
    Then I am told 'To ensure that you are the one scanning the QR code, your new phone/tablet must be close to your old phone/tablet'
    And I do not see 'Enter your user ID'
    When I move my new phone close to my old phone
    And I scan the QR code by holding my new phone up to the QR code on my old app
    Then I see 'Enter your user ID'

  # Step 11 on my old phone, step 18 on my new phone.
  @rule-bluetooth-permission @android-14
  Scenario Outline: If I do not allow the MitID app to use Bluetooth on my <phone> phone (Android), the copy stops until I do
    Given I have followed steps 1 to <steps done>
    When I press "Next" on the screen 'Bluetooth access is required'
    And I do not allow the MitID app to use Bluetooth
    Then I see 'Access is required'
    And I am told 'MitID cannot copy your app without access to Bluetooth'
    When I press "Try again"
    Then I am asked to allow the MitID app to use Bluetooth

    Examples:
      | phone | steps done |
      | old   | 9          |
      | new   | 16         |

  # An iPhone asks an app once: after "Don't Allow" only the Settings app can
  # allow Bluetooth, so the app must say where, and cannot ask again.
  @rule-bluetooth-permission @ios
  Scenario Outline: If I do not allow the MitID app to use Bluetooth on my <phone> iPhone, the copy stops and the app sends me to the settings
    Given I have followed steps 1 to <steps done>
    When I press "Next" on the screen 'Bluetooth access is required'
    And I do not allow the MitID app to use Bluetooth
    Then I see 'Access is required'
    And I am told 'MitID cannot copy your app without access to Bluetooth'
    When I press "Try again"
    Then I am not asked again to allow the MitID app to use Bluetooth
    And I am told "Allow access in your phone's/tablet's settings"

    Examples:
      | phone | steps done |
      | old   | 9          |
      | new   | 16         |

  # "for older versions of Android phones, also accept access to location":
  # Android 11 (API 30) and older; Android 12 (API 31) brought a Bluetooth
  # permission that needs no location.
  @doc-10 @doc-11 @doc-12
  Scenario Outline: My old phone on <system> asks for access to <access> before it shows the QR code
    Given I have followed steps 1 to 9
    When I read the information on the screen '<screen>' and press "Next"
    And I accept that the MitID app uses <permissions>
    Then I see a QR code that is valid for 3 minutes

    @android-11 @rule-location-on-old-android
    Examples: Older Android asks for location as well
      | system              | access                 | screen                                    | permissions                        |
      | Android 11 (API 30) | Bluetooth and location | Bluetooth and location access is required | Bluetooth and accesses my location |

    @android-13
    Examples: Android 12 and later do not
      | system              | access    | screen                       | permissions |
      | Android 13 (API 33) | Bluetooth | Bluetooth access is required | Bluetooth   |

    @android-14
    Examples: Android 12 and later do not
      | system              | access    | screen                       | permissions |
      | Android 14 (API 34) | Bluetooth | Bluetooth access is required | Bluetooth   |

    @ios
    Examples: iPhones never do
      | system   | access    | screen                       | permissions |
      | iOS 17.5 | Bluetooth | Bluetooth access is required | Bluetooth   |

  # The tags choose the old phone; its partner on the rig is the new phone:
  # with @android-13 the new phone is the Android 11 one.
  @doc-17 @doc-18 @doc-19
  Scenario Outline: My new phone on <system> asks for access to <access> before it scans the QR code
    Given I have followed steps 1 to 16
    When I press "Next" on the screen '<screen>'
    And I accept that the MitID app uses <permissions>
    And I scan the QR code by holding my new phone up to the QR code on my old app
    Then I see 'Enter your user ID'

    @android-13 @rule-location-on-old-android
    Examples: Older Android asks for location as well
      | system              | access                 | screen                                    | permissions                        |
      | Android 11 (API 30) | Bluetooth and location | Bluetooth and location access is required | Bluetooth and accesses my location |

    @android-11
    Examples: Android 12 and later do not
      | system              | access    | screen                       | permissions |
      | Android 13 (API 33) | Bluetooth | Bluetooth access is required | Bluetooth   |

    @ios
    Examples: iPhones never do
      | system   | access    | screen                       | permissions |
      | iOS 17.5 | Bluetooth | Bluetooth access is required | Bluetooth   |

  # "To ensure that you are the one scanning the QR code": the beacon must be
  # the one of the QR code scanned. Another copy's beacon beside my new
  # phone (another person's old phone showing its own QR code) proves
  # nothing about mine.
  @rule-beacon-bound @rule-bluetooth-proximity @third-phone @doc-19
  Scenario: My old phone's QR code is refused when only another copy's beacon is near my new phone
    Given I have followed steps 1 to 18
    But my new phone is out of Bluetooth range of my old phone, beside another person's old phone that shows a QR code of its own
    When I scan the QR code by holding my new phone up to the QR code on my old app
    Then I am told 'your new phone/tablet must be close to your old phone/tablet'
    And I do not see 'Enter your user ID'

  # "To ensure that you are the one scanning the QR code, MitID requires the
  # use of Bluetooth": a phone starts listening for the beacon when it reads
  # the QR code and may need a moment to hear it. Refusing the code in that
  # moment would tell a person standing beside their old phone to move
  # closer. @bluetooth: only a radio with a hearing time (BlueZ, a lab) has
  # that moment; the in-memory radio hears at once.
  @bluetooth @rule-bluetooth-proximity @doc-19
  Scenario: My new phone waits for my old phone's beacon that it has not heard yet, rather than telling me to move closer
    Given I have followed steps 1 to 18
    But my new phone is slow to hear Bluetooth beacons
    When I scan the QR code by holding my new phone up to the QR code on my old app
    Then I see 'Enter your user ID'
